package io.scanline.kernels.tensor;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Tensor.gatherAxis1 / scatterAxis1 (and the Backend defaults that use them): rows of axis 1 by position. */
class TensorGatherScatterTest {

    @Test
    void gatherTakesRowsInTheGivenOrderPerBatchElement() {
        Tensor x = Iota.of(2, 4, 2);                       // b0 rows [0 1][2 3][4 5][6 7], b1 rows from 8
        Tensor g = x.gatherAxis1(new int[] {3, 0, 3});
        assertArrayEquals(new int[] {2, 3, 2}, g.shape());
        assertArrayEquals(new float[] {6, 7, 0, 1, 6, 7, 14, 15, 8, 9, 14, 15}, g.f32());
        assertArrayEquals(g.f32(), new ReferenceBackend().gatherAxis1(x, new int[] {3, 0, 3}).f32(), "the Backend default");
        assertArrayEquals(new int[] {2, 0, 2}, x.gatherAxis1(new int[0]).shape());
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11}, Iota.of(1, 2, 2, 3).gatherAxis1(new int[] {1}).f32(), "rank 4: whole token blocks");
    }

    @Test
    void scatterWritesInPlaceAndIsTheInverseOfGather() {
        Tensor into = Tensor.zeros(2, 4, 2), rows = Iota.of(2, 2, 2);
        new ReferenceBackend().scatterAxis1(into, new int[] {2, 0}, rows);
        assertArrayEquals(new float[] {2, 3, 0, 0, 0, 1, 0, 0, 6, 7, 0, 0, 4, 5, 0, 0}, into.f32());
        assertArrayEquals(rows.f32(), into.gatherAxis1(new int[] {2, 0}).f32());
    }

    @Test
    void rejectsBadPositionsShapesAndDuplicates() {
        Tensor x = Tensor.zeros(1, 4, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> x.gatherAxis1(new int[] {4}));
        assertThrows(IndexOutOfBoundsException.class, () -> x.scatterAxis1(new int[] {-1}, Tensor.zeros(1, 1, 2)));
        assertThrows(IllegalArgumentException.class, () -> x.scatterAxis1(new int[] {1, 1}, Tensor.zeros(1, 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> x.scatterAxis1(new int[] {1, 2}, Tensor.zeros(1, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(4).gatherAxis1(new int[] {0}));
    }
}
