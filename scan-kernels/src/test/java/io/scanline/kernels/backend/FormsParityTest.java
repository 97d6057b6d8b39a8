package io.scanline.kernels.backend;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.conformance.OpConformance;
import io.scanline.kernels.conformance.OpProblem;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The named forms of one op agree (mlstm_kernels habit): mLSTM recurrent = chunkwise (any inner
 * chunk) = parallel, SSD recurrence = chunked, for outputs and final states, fresh and carried
 * states. Tolerance 1e-5 relative (ops §2: fp32 rounding of reordered sums; spec §10.4 shows the
 * forms are equal in exact arithmetic).
 */
class FormsParityTest {
    private final Backend be = new ReferenceBackend();

    private void same(OpProblem a, OpProblem b, int... chunk) {
        for (int c : chunk) {
            Map<String, Tensor> ra = a.run(be, Chunks.fixed(a.length, c)), rb = b.run(be, Chunks.fixed(b.length, c));
            for (Comparison cmp : OpConformance.compareResults(a, ra, rb, 1e-5)) {
                assertTrue(cmp.pass(), a.name + " vs " + b.name + " (chunk " + c + "): " + cmp.format());
            }
        }
    }

    @Test
    void mlstmForms() {
        for (boolean state : new boolean[] {false, true}) {
            for (int l : new int[] {1, 2, 17, 100}) {
                OpProblem rec = OpProblem.mlstm(l, MlstmForm.RECURRENT, 1, 2, l, 2, 8, state);
                for (int inner : new int[] {1, 7, 64}) same(OpProblem.mlstm(l, MlstmForm.CHUNKWISE, inner, 2, l, 2, 8, state), rec, 0, 13);
                same(OpProblem.mlstm(l, MlstmForm.PARALLEL, 1, 2, l, 2, 8, state), rec, 0, 13);
            }
        }
    }

    @Test
    void ssdForms() {
        for (boolean s0 : new boolean[] {false, true}) {
            for (int l : new int[] {1, 3, 40, 300}) {
                OpProblem rec = OpProblem.ssd(l, SsdForm.RECURRENT, 1, 2, l, 4, 5, 2, 6, s0);
                for (int inner : new int[] {1, 7, 256}) same(OpProblem.ssd(l, SsdForm.CHUNKED, inner, 2, l, 4, 5, 2, 6, s0), rec, 0, 11);
            }
        }
    }
}
