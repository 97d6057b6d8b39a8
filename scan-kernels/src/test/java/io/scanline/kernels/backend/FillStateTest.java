package io.scanline.kernels.backend;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The host form of setting carried state to a value (a fresh state: zeros, or −∞ for an mLSTM stabilizer). */
class FillStateTest {
    private final Backend be = new ReferenceBackend();

    @Test
    void fillsEveryGivenStateAndSkipsNulls() {
        Tensor m = Tensor.of(new float[] {1, 2, 3}, 3), h = Tensor.of(new float[] {4, 5}, 1, 2);
        Tensor sum = Tensor.of(new double[] {6, 7}, 2);
        be.fillState(Float.NEGATIVE_INFINITY, m, null);
        be.fillState(0f, h, sum);
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, m.f32());
        assertArrayEquals(new float[] {0, 0}, h.f32());
        assertArrayEquals(new double[] {0, 0}, sum.f64());
    }

    @Test
    void anF64StateOnlyTakesZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.fillState(1f, Tensor.zerosF64(2)));
        assertTrue(e.getMessage().contains("F64"), e.getMessage());
    }
}
