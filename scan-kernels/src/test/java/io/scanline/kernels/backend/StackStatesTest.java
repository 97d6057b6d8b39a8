package io.scanline.kernels.backend;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The host form of joining per-image states for one batched call, and writing them back. */
class StackStatesTest {
    private final Backend be = new ReferenceBackend();

    @Test
    void stackThenUnstackRoundTripsEveryRow() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 1, 2, 2), b = Tensor.of(new float[] {5, 6, 7, 8}, 1, 2, 2);
        Tensor s = be.stackStates(List.of(a, b));
        assertArrayEquals(new int[] {2, 2, 2}, s.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, s.f32());
        for (int i = 0; i < 8; i++) s.f32()[i] *= 10; // what a batched op does to the stacked state
        be.unstackStates(s, List.of(a, b));
        assertArrayEquals(new float[] {10, 20, 30, 40}, a.f32());
        assertArrayEquals(new float[] {50, 60, 70, 80}, b.f32());
    }

    @Test
    void mismatchedStatesAreRejected() {
        Tensor a = Tensor.zeros(1, 4), b = Tensor.zeros(1, 5), two = Tensor.zeros(2, 4);
        assertThrows(IllegalArgumentException.class, () -> be.stackStates(List.of(a, b)));
        assertThrows(IllegalArgumentException.class, () -> be.stackStates(List.of(a, two)));
        assertThrows(IllegalArgumentException.class, () -> be.unstackStates(Tensor.zeros(3, 4), List.of(a, Tensor.zeros(1, 4))));
    }
}
