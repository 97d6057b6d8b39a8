package io.scanline.kernels.bench;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Operation counts of single op calls, by hand, through the counting wrapper. */
class OpFlopsTest {
    private final RandomTensors r = new RandomTensors(5);

    @Test
    void countsEachOpFromItsShapes() {
        OpFlops f = new OpFlops();
        Backend be = f.wrap(new ReferenceBackend());
        be.linear(r.normal(0, 1, 2, 7, 12), r.normal(0, 1, 5, 12), r.normal(0, 1, 5));
        assertEquals(2L * 14 * 12 * 5 + 14 * 5, f.total(), "linear: 2·M·K·N plus the bias");
        f.reset();
        be.linear(r.normal(0, 1, 3, 4), r.normal(0, 1, 6, 4), null);
        assertEquals(2L * 3 * 4 * 6, f.total(), "linear without bias");
        f.reset();
        be.selectiveScan(r.normal(0, 1, 1, 9, 4), r.normal(0, 1, 1, 9, 4), r.uniform(-2, -0.5, 4, 3), r.normal(0, 1, 1, 9, 3),
                r.normal(0, 1, 1, 9, 3), null, null, null, true, Tensor.zeros(1, 4, 3));
        assertEquals(36L * (6 * 3 + 10), f.total(), "scan: 6 per state element and token, 10 per channel and token");
        f.reset();
        int l = 10, nh = 2, dh = 8;
        be.mlstm(MlstmForm.CHUNKWISE, 4, r.normal(0, 1, 1, l, nh, dh), r.normal(0, 1, 1, l, nh, dh), r.normal(0, 1, 1, l, nh, dh),
                r.normal(0, 1, 1, l, nh), r.normal(2, 1, 1, l, nh), Tensor.zeros(1, nh, dh, dh), Tensor.zeros(1, nh, dh),
                Tensor.of(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 1, nh), 1e-6);
        assertEquals((long) l * nh * (4L * dh * dh + 4L * 4 * dh), f.total(), "mLSTM chunkwise with Q = 4");
        f.reset();
        be.patchEmbed(r.normal(0, 1, 1, 3, 32, 48), r.normal(0, 1, 6, 3, 16, 16), r.normal(0, 1, 6), 16);
        assertEquals(2L * 2 * 3 * 6 * 3 * 16 * 16, f.total(), "patch embedding: 2 per tap and output");
        f.reset();
        be.sliceAxis1(r.normal(0, 1, 1, 5, 3), 1, 4);
        be.flipAxis1(r.normal(0, 1, 1, 5, 3));
        assertEquals(0, f.total(), "data movement counts nothing");
        be.add(r.normal(0, 1, 2, 3), r.normal(0, 1, 2, 3));
        be.rmsNorm(r.normal(0, 1, 2, 3), r.normal(0, 1, 3), 1e-6);
        assertEquals(6 + 30, f.total(), "elementwise 1 and norms 5 per element");
    }
}
