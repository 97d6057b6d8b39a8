package io.scanline.kernels.backend;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.conformance.OpConformance;
import io.scanline.kernels.conformance.OpProblem;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The invariant of spec streaming §2 on the reference backend: running an op over any partition of
 * the sequence with the state carried equals the whole run, for outputs and final states.
 *
 * <p>Recurrent forms do the same per-token arithmetic wherever a chunk starts, so they must agree
 * <b>bit for bit</b>. The chunked forms (SSD chunked, mLSTM chunkwise/parallel) regroup sums at the
 * call boundaries: 1e-5 relative (ops §2 op tolerance; observed ~1e-7).
 */
class ChunkInvarianceTest {
    private final Backend be = new ReferenceBackend();

    /** Partitions required by streaming §2 for a sequence of length l and a conv of width k. */
    static List<List<int[]>> partitions(int l, int k, int... tiles) {
        List<List<int[]>> ps = new ArrayList<>();
        if (l <= 32) for (int a = 0; a <= l; a++) ps.add(Chunks.at(l, a));       // every split point (incl. empty first/last)
        ps.add(Chunks.fixed(l, 1));                                               // all chunks of length 1
        if (l >= 2) ps.add(Chunks.at(l, 0, l / 2, l / 2, l));                     // empty first, middle, last
        for (int c : new int[] {k - 2, k - 1, k}) if (c > 0 && c < l) ps.add(Chunks.at(l, c));
        for (int t : tiles) for (int c : new int[] {t - 1, t, t + 1, 2 * t - 1, 2 * t, 2 * t + 1}) if (c > 0 && c < l) ps.add(Chunks.at(l, c));
        SplittableRandom r = new SplittableRandom(l * 31L + k);
        for (int rep = 0; rep < 4; rep++) {                                        // random partitions
            int n = 1 + r.nextInt(Math.max(1, Math.min(12, l)));
            int[] cuts = new int[n];
            for (int i = 0; i < n; i++) cuts[i] = r.nextInt(l + 1);
            Arrays.sort(cuts);
            ps.add(Chunks.at(l, cuts));
        }
        return ps;
    }

    private void check(OpProblem p, boolean exact, int k, int... tiles) {
        Map<String, Tensor> whole = p.run(be, Chunks.fixed(p.length, 0));
        for (List<int[]> part : partitions(p.length, k, tiles)) {
            Map<String, Tensor> got = p.run(be, part);
            String where = p.name + " split " + describe(part);
            if (exact) {
                for (String key : whole.keySet()) {
                    assertArrayEquals(whole.get(key).f32(), got.get(key).f32(), where + " / " + key + " not bit-identical");
                }
            } else {
                for (Comparison c : OpConformance.compareResults(p, got, whole, 1e-5)) assertTrue(c.pass(), where + ": " + c.format());
            }
        }
    }

    private static String describe(List<int[]> part) {
        StringBuilder sb = new StringBuilder();
        for (int[] c : part) sb.append('[').append(c[0]).append(',').append(c[1]).append(')');
        return sb.length() > 120 ? sb.substring(0, 120) + "..." : sb.toString();
    }

    @Test
    void causalConv1dIsBitExactUnderAnySplit() {
        for (int l : new int[] {1, 2, 3, 5, 17, 32}) {
            check(OpProblem.conv(l, 2, l, 5, 4, l % 2 == 0, true), true, 4);
            check(OpProblem.conv(100 + l, 1, l, 3, 2, true, false), true, 2);
        }
        check(OpProblem.conv(7, 1, 300, 3, 4, true, true), true, 4);
    }

    @Test
    void selectiveScanIsBitExactUnderAnySplit() {
        for (int l : new int[] {1, 2, 7, 32}) check(OpProblem.selectiveScan(l, 2, l, 6, 4, l % 2 == 1, true), true, 4);
        check(OpProblem.selectiveScan(99, 1, 4100, 2, 3, true, true), true, 4, 2048);
    }

    @Test
    void ssdRecurrentIsBitExactAndChunkedWithinTolerance() {
        for (int l : new int[] {1, 6, 31}) {
            check(OpProblem.ssd(l, SsdForm.RECURRENT, 256, 1, l, 2, 4, 1, 8, true), true, 4);
            check(OpProblem.ssd(l, SsdForm.CHUNKED, 4, 1, l, 2, 4, 1, 8, l % 2 == 1), false, 4, 4);
        }
        check(OpProblem.ssd(5, SsdForm.CHUNKED, 256, 1, 530, 2, 3, 1, 4, true), false, 4, 256);
    }

    @Test
    void mlstmRecurrentIsBitExactAndChunkwiseParallelWithinTolerance() {
        for (int l : new int[] {1, 5, 32}) {
            check(OpProblem.mlstm(l, MlstmForm.RECURRENT, 64, 1, l, 2, 4, l % 2 == 1), true, 4);
            check(OpProblem.mlstm(l, MlstmForm.CHUNKWISE, 3, 1, l, 2, 4, l % 2 == 0), false, 4, 3);
            check(OpProblem.mlstm(l, MlstmForm.PARALLEL, 64, 1, l, 2, 4, true), false, 4);
        }
        check(OpProblem.mlstm(3, MlstmForm.CHUNKWISE, 64, 1, 200, 1, 8, true), false, 4, 64);
    }
}
