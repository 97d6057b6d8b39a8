package io.scanline.kernels.tensor;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Tensor.columns (and the Backend default that uses it): channels [from, to) of the last axis. */
class TensorColumnsTest {

    @Test
    void cutsEveryRowOfEveryLeadingAxis() {
        Tensor x = Iota.of(2, 2, 4);                       // rows [0..3] [4..7] [8..11] [12..15]
        Tensor c = x.columns(1, 3);
        assertArrayEquals(new int[] {2, 2, 2}, c.shape());
        assertArrayEquals(new float[] {1, 2, 5, 6, 9, 10, 13, 14}, c.f32());
        assertArrayEquals(c.f32(), new ReferenceBackend().columns(x, 1, 3).f32(), "the Backend default");
        c.f32()[0] = -1;
        assertArrayEquals(Iota.of(2, 2, 4).f32(), x.f32(), "a copy: the input is not modified");
    }

    @Test
    void edgesNoneAndAll() {
        Tensor x = Iota.of(3, 5);
        assertArrayEquals(new float[] {4, 9, 14}, x.columns(4, 5).f32());
        assertArrayEquals(new int[] {3, 0}, x.columns(2, 2).shape());
        assertArrayEquals(x.f32(), x.columns(0, 5).f32());
        assertArrayEquals(new int[] {1, 2, 3, 1}, Iota.of(1, 2, 3, 4).columns(3, 4).shape());
    }

    @Test
    void rejectsBadRangesAndF64() {
        Tensor x = Iota.of(2, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> x.columns(3, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> x.columns(-1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> x.columns(3, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zerosF64(2, 4).columns(0, 1));
    }
}
