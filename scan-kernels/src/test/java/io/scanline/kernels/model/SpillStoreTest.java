package io.scanline.kernels.model;

import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store returns exactly what was written, whatever the chunking, across the memory/disk boundary. */
class SpillStoreTest {
    @TempDir
    Path dir;

    @Test
    void rowsRoundTripAcrossTheMemoryDiskBoundary() {
        int b = 2, l = 23, d = 5;
        Tensor all = new RandomTensors(4).normal(0, 1, b, l, d);
        // budget of 7 token rows (B·D floats each): tokens [0, 7) in memory, [7, 23) on disk
        MemoryLedger ledger = new MemoryLedger(Long.MAX_VALUE, b);
        try (SpillStore st = new SpillStore(b, l, d, 7L * b * d * 4, dir, ledger)) {
            assertTrue(st.spills());
            assertEquals(4L * b * (l - 7) * d, st.diskBytes());
            for (int[] c : new int[][] {{0, 3}, {3, 9}, {9, 9}, {9, 23}}) st.write(c[0], all.sliceAxis1(c[0], c[1]));
            List<Tensor> parts = new ArrayList<>();
            for (int t = 0; t < l; t += 4) parts.add(st.read(t, Math.min(4, l - t)));
            assertArrayEquals(all.f32(), Tensor.concatAxis1(parts).f32());
            assertArrayEquals(all.sliceAxis1(5, 12).f32(), st.read(5, 7).f32(), "a read straddling the boundary");
        }
    }
}
