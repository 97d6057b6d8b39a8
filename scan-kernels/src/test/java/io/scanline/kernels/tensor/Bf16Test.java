package io.scanline.kernels.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bf16 rounding: exact values kept, ties to even, carries into the exponent, specials. */
class Bf16Test {
    private static float bits(int b) { return Float.intBitsToFloat(b); }

    @Test
    void exactValuesAreKept() {
        for (float v : new float[] {0f, -0f, 1f, -2.5f, 0.15625f, 65280f}) assertEquals(v, Bf16.round(v));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Bf16.round(-0f)));
    }

    @Test
    void roundsToNearestTiesToEven() {
        // 1 + 2^-8 is half way between 1 and 1 + 2^-7: the even neighbour (1) wins
        assertEquals(1f, Bf16.round(1f + 0x1p-8f));
        // 1 + 3·2^-8 is half way between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
        assertEquals(1f + 0x1p-6f, Bf16.round(1f + 3 * 0x1p-8f));
        // just above the half way point rounds up, just below rounds down
        assertEquals(bits(0x3F810000), Bf16.round(bits(0x3F808001)));
        assertEquals(bits(0x3F800000), Bf16.round(bits(0x3F807FFF)));
        assertEquals(-1f - 0x1p-6f, Bf16.round(-1f - 3 * 0x1p-8f));
        // a carry out of the mantissa moves the exponent: 1.9999 rounds to 2
        assertEquals(2f, Bf16.round(1.9999f));
    }

    @Test
    void specials() {
        assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Float.POSITIVE_INFINITY));
        assertEquals(Float.NEGATIVE_INFINITY, Bf16.round(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(Bf16.round(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Float.MAX_VALUE)); // past the largest bf16
        assertEquals(bits(0x7F7F0000), Bf16.round(bits(0x7F7F7FFF)));     // largest bf16 stays finite
    }

    @Test
    void tensorRoundingKeepsShapeAndRelativeErrorBound() {
        float[] v = new float[1000];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        Tensor t = Tensor.of(v, 10, 100), b = Bf16.round(t);
        assertArrayEquals(new int[] {10, 100}, b.shape());
        for (int i = 0; i < v.length; i++) {
            float q = b.f32()[i];
            assertEquals(0, Float.floatToRawIntBits(q) & 0xFFFF, "low half must be zero");
            // unit roundoff of an 8-bit significand: 2^-8 relative
            assertTrue(Math.abs(q - v[i]) <= Math.abs(v[i]) * 0x1p-8f, "element " + i);
        }
    }
}
