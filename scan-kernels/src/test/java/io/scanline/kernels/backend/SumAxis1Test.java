package io.scanline.kernels.backend;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The host form of adding fp64 column sums over axis 1 (a model's running mean over a sequence). */
class SumAxis1Test {
    private final Backend be = new ReferenceBackend();

    @Test
    void addsEachImagesColumnSumsOntoTheAccumulator() {
        // x (B2, L3, D2): image 0 rows (1, 2), (3, 4), (5, 6); image 1 rows (0.5, -1) three times
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 0.5f, -1, 0.5f, -1, 0.5f, -1}, 2, 3, 2);
        Tensor acc = Tensor.of(new double[] {10, 20, 30, 40}, 2, 2);
        be.addSumAxis1(x, acc);
        assertArrayEquals(new double[] {19, 32, 31.5, 37}, acc.f64(), 0);
    }

    @Test
    void sumsInDoubleWhereFloatWouldLoseTheSmallTerms() {
        int l = 3;
        Tensor x = Tensor.of(new float[] {1e8f, 1, 1}, 1, l, 1);
        Tensor acc = Tensor.zerosF64(1);
        be.addSumAxis1(x, acc);
        assertEquals(1e8 + 2, acc.f64()[0], 0); // in fp32, 1e8 + 1 + 1 rounds back to 1e8
    }

    @Test
    void wrongAccumulatorLengthIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.addSumAxis1(Tensor.zeros(2, 5, 3), Tensor.zerosF64(3)));
        assertTrue(e.getMessage().contains("x needs 6"), e.getMessage());
    }

    @Test
    void anF32AccumulatorIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.addSumAxis1(Tensor.zeros(1, 2, 3), Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
    }
}
