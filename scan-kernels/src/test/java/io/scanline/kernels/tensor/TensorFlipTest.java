package io.scanline.kernels.tensor;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Tensor.flipAxis1 (and the Backend default that uses it): token order reversed per batch element. */
class TensorFlipTest {

    @Test
    void reversesTokensOfEachBatchElement() {
        Tensor x = Iota.of(2, 3, 2);                       // b0: [0 1][2 3][4 5], b1: [6 7][8 9][10 11]
        Tensor f = x.flipAxis1();
        assertArrayEquals(new int[] {2, 3, 2}, f.shape());
        assertArrayEquals(new float[] {4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7}, f.f32());
        assertArrayEquals(x.f32(), f.flipAxis1().f32());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, x.f32(), "the input is not modified");
    }

    @Test
    void rankFourMovesWholeTokenBlocks() {
        Tensor x = Iota.of(1, 2, 2, 3);
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5}, x.flipAxis1().f32());
    }

    @Test
    void oneAndNoTokens() {
        Tensor one = Iota.of(3, 1, 4);
        assertArrayEquals(one.f32(), one.flipAxis1().f32());
        Tensor none = Tensor.zeros(2, 0, 5);
        assertEquals(0, none.flipAxis1().numel());
        assertArrayEquals(new int[] {2, 0, 5}, none.flipAxis1().shape());
    }

    @Test
    void deferredDataIsReadOnce() {
        Tensor h = Iota.of(2, 4, 3);
        Tensor d = Tensor.deferred(new DeferredF32(h.numel()) {
            @Override protected float[] produce() { return h.f32().clone(); }
        }, 2, 4, 3);
        assertArrayEquals(h.flipAxis1().f32(), d.flipAxis1().f32());
    }

    @Test
    void backendDefaultFlipsOnTheHost() {
        Tensor x = Iota.of(2, 5, 3);
        assertArrayEquals(x.flipAxis1().f32(), new ReferenceBackend().flipAxis1(x).f32());
    }

    @Test
    void rankOneAndF64AreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Iota.of(4).flipAxis1());
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new double[6], 1, 3, 2).flipAxis1());
    }
}
