package io.scanline.kernels.model;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * ResidentStore answers every read exactly as SpillStore does (the host store, spilling to disk here)
 * after any sequence of overlapping writes of any chunking; TokenStore.open picks it only when the
 * backend grants the room (DeviceStoreOpenTest).
 */
class ResidentStoreTest {
    @TempDir
    Path dir;

    @Test
    void randomWritesAndReadsMatchTheSpillStore() {
        Random rnd = new Random(11);
        RandomTensors r = new RandomTensors(12);
        int b = 2, l = 97, d = 3;
        MemoryLedger ledger = new MemoryLedger(Long.MAX_VALUE, b);
        try (ResidentStore res = new ResidentStore(new ReferenceBackend(), b, l, d, 4L * b * l * d);
             SpillStore host = new SpillStore(b, l, d, 20L * b * d * 4, dir, ledger)) {
            // both stores start from a full write (the spill file has no rows before one), then take
            // overlapping writes that cut, cover and abut earlier ones
            Tensor all = r.normal(0, 1, b, l, d);
            res.write(0, all);
            host.write(0, all);
            for (int op = 0; op < 400; op++) {
                int t0 = rnd.nextInt(l + 1), n = rnd.nextInt(Math.min(l - t0, 30) + 1);
                if (rnd.nextBoolean()) {
                    Tensor rows = r.normal(0, 1, b, n, d);
                    res.write(t0, rows);
                    host.write(t0, rows.copy());
                } else {
                    assertArrayEquals(host.read(t0, n).f32(), res.read(t0, n).f32(), "read [" + t0 + ", " + (t0 + n) + ") after op " + op);
                }
            }
            assertArrayEquals(host.read(0, l).f32(), res.read(0, l).f32());
        }
    }

    @Test
    void unwrittenRowsReadAsZerosAndReadsAreCopies() {
        RandomTensors r = new RandomTensors(3);
        try (ResidentStore st = new ResidentStore(new ReferenceBackend(), 1, 10, 2, 80)) {
            Tensor rows = r.normal(0, 1, 1, 3, 2);
            st.write(4, rows);
            float[] got = st.read(2, 7).f32();
            float[] want = new float[14];
            System.arraycopy(rows.f32(), 0, want, 4, 6);
            assertArrayEquals(want, got);
            st.read(4, 3).f32()[0] = 99f;          // changing what was read leaves the store alone
            assertArrayEquals(rows.f32(), st.read(4, 3).f32());
            assertThrows(IllegalArgumentException.class, () -> st.read(8, 3));
            assertThrows(IllegalArgumentException.class, () -> st.write(0, r.normal(0, 1, 1, 2, 3)));
        }
    }
}
