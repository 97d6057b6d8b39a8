package io.scanline.kernels.conformance;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares a candidate backend's recurrent ops with another (normally the reference) on seeded random
 * problems of awkward shapes — length 1, odd widths, lengths around the internal tiles of fast
 * kernels (mLSTM 64, SSD 256), non-zero initial states — run whole and in chunks.
 */
public final class OpConformance {
    private OpConformance() {}

    /** fp32 results of differently ordered sums over ≤ 10³ terms and ≤ 10³ steps: ~1e-6; 1e-5 is ops §2's op tolerance. */
    public static final double TOL = 1e-5;

    public static List<OpProblem> problems() {
        List<OpProblem> ps = new ArrayList<>();
        long seed = 1000;
        for (int l : new int[] {1, 3, 4, 5, 63, 64, 65, 257}) {
            ps.add(OpProblem.conv(seed++, 2, l, 7, 4, l % 2 == 1, true));
            ps.add(OpProblem.selectiveScan(seed++, 2, l, 9, l % 2 == 0 ? 16 : 5, l % 2 == 1, l != 4));
        }
        ps.add(OpProblem.conv(seed++, 1, 2049, 3, 4, true, false));
        ps.add(OpProblem.selectiveScan(seed++, 1, 2049, 3, 16, true, true));
        for (SsdForm f : SsdForm.values()) {
            for (int l : new int[] {1, 5, 255, 257}) {
                ps.add(OpProblem.ssd(seed++, f, 256, 2, l, 4, 8, 2, 16, l % 2 == 1));
            }
        }
        for (MlstmForm f : MlstmForm.values()) {
            for (int l : new int[] {1, 9, 63, 65, 130}) {
                if (f == MlstmForm.PARALLEL && l > 65) continue;
                ps.add(OpProblem.mlstm(seed++, f, 64, 2, l, 2, l == 9 ? 96 : 16, l % 2 == 1));
            }
        }
        return ps;
    }

    /** Compares candidate and reference on one problem, for the given partition, every output and state. */
    public static List<Comparison> compare(OpProblem p, Backend candidate, Backend reference, List<int[]> chunks) {
        return compareResults(p, p.run(candidate, chunks), p.run(reference, List.of(new int[] {0, p.length})), TOL);
    }

    public static List<Comparison> compareResults(OpProblem p, Map<String, Tensor> got, Map<String, Tensor> ref, double tol) {
        List<Comparison> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : ref.entrySet()) {
            String name = p.name + " / " + e.getKey();
            Tensor mine = got.get(e.getKey());
            out.add(p.isStabilizer(e.getKey()) ? Comparison.stabilizer(name, mine, e.getValue(), tol)
                    : Comparison.relative(name, mine, e.getValue(), tol));
        }
        return out;
    }

    /** The whole suite: every problem whole and in chunks of 7, against the reference. */
    public static List<Comparison> run(Backend candidate, Backend reference) {
        List<Comparison> all = new ArrayList<>();
        for (OpProblem p : problems()) {
            all.addAll(compare(p, candidate, reference, Chunks.fixed(p.length, 0)));
            all.addAll(compare(p, candidate, reference, Chunks.fixed(p.length, 7)));
        }
        return all;
    }
}
