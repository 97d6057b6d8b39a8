package io.scanline.kernels.model;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * RowIndexedStore answers every read and gather exactly as SpillStore does (its run-by-run defaults,
 * spilling to disk here) after random writes and scatters at shuffled positions; openIndexed picks it
 * only when the backend grants the room (DeviceStoreOpenTest).
 */
class RowIndexedStoreTest {
    @TempDir
    Path dir;

    @Test
    void randomScattersAndGathersMatchTheSpillStore() {
        Random rnd = new Random(5);
        RandomTensors r = new RandomTensors(6);
        int b = 2, l = 61, d = 3;
        MemoryLedger ledger = new MemoryLedger(Long.MAX_VALUE, b);
        try (RowIndexedStore idx = new RowIndexedStore(new ReferenceBackend(), b, l, d, 4L * b * l * d);
             SpillStore host = new SpillStore(b, l, d, 15L * b * d * 4, dir, ledger)) {
            Tensor all = r.normal(0, 1, b, l, d);
            idx.write(0, all);
            host.write(0, all);
            int[] perm = shuffled(rnd, l);
            for (int op = 0; op < 300; op++) {
                int a = rnd.nextInt(l + 1), e = a + rnd.nextInt(Math.min(l - a, 12) + 1);
                switch (rnd.nextInt(4)) {
                    case 0 -> {
                        Tensor rows = r.normal(0, 1, b, e - a, d);
                        idx.scatter(perm, a, e, rows);
                        host.scatter(perm, a, e, rows.copy());
                    }
                    case 1 -> {
                        Tensor rows = r.normal(0, 1, b, e - a, d);
                        idx.write(a, rows);
                        host.write(a, rows.copy());
                    }
                    case 2 -> assertArrayEquals(host.gather(perm, a, e).f32(), idx.gather(perm, a, e).f32(), "gather after op " + op);
                    default -> assertArrayEquals(host.read(a, e - a).f32(), idx.read(a, e - a).f32(), "read after op " + op);
                }
                if (op % 50 == 49) perm = shuffled(rnd, l);
            }
            assertArrayEquals(host.read(0, l).f32(), idx.read(0, l).f32());
        }
    }

    @Test
    void unwrittenRowsAreZerosReadsAreCopiesAndBadAccessFails() {
        RandomTensors r = new RandomTensors(7);
        try (RowIndexedStore st = new RowIndexedStore(new ReferenceBackend(), 1, 10, 2, 80)) {
            Tensor rows = r.normal(0, 1, 1, 2, 2);
            st.scatter(new int[] {9, 3}, 0, 2, rows);
            float[] want = new float[20];
            System.arraycopy(rows.f32(), 0, want, 18, 2);
            System.arraycopy(rows.f32(), 2, want, 6, 2);
            assertArrayEquals(want, st.read(0, 10).f32());
            st.gather(new int[] {3}, 0, 1).f32()[0] = 99f;
            assertEquals(rows.f32()[2], st.read(3, 1).f32()[0]);
            assertThrows(IllegalArgumentException.class, () -> st.scatter(new int[] {1, 1}, 0, 2, r.normal(0, 1, 1, 2, 2)));
            assertThrows(IndexOutOfBoundsException.class, () -> st.gather(new int[] {10}, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> st.scatter(new int[] {1, 2}, 0, 2, r.normal(0, 1, 1, 3, 2)));
            assertThrows(IllegalArgumentException.class, () -> st.write(9, r.normal(0, 1, 1, 2, 2)));
        }
    }

    private static int[] shuffled(Random rnd, int l) {
        int[] p = new int[l];
        for (int i = 0; i < l; i++) p[i] = i;
        for (int i = l - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
