package io.scanline.kernels.heads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Windowed runs: window placement, deterministic blending, and objects cut by window borders reported
 * once. Fake backbones give each token features that depend on its global position (and, where the test
 * says so, on the window), so the expected outputs are known.
 */
class WindowedRunTest {
    static final int D = 5, PATCH = 16, S = 4;

    @Test
    void planCoversTheGridWithLastWindowAtTheEdge() {
        WindowPlan p = new WindowPlan(10, 23, 6, 2);
        assertArrayEquals(new int[]{0, 4}, p.rowStarts());
        int[] cover = new int[10 * 23];
        for (WindowPlan.Window w : p.windows()) {
            assertTrue(w.r0() + w.rows() <= 10 && w.c0() + w.cols() <= 23, "window inside the grid: " + w);
            for (int r = w.r0(); r < w.r0() + w.rows(); r++) for (int c = w.c0(); c < w.c0() + w.cols(); c++) cover[r * 23 + c]++;
        }
        assertTrue(Arrays.stream(cover).allMatch(v -> v >= 1), "every token covered");
        assertEquals(List.of(0, 4, 8, 12, 16, 17), p.windows().stream().filter(w -> w.r0() == 0).map(WindowPlan.Window::c0).toList());
        assertEquals(1, new WindowPlan(3, 4, 6, 2).windows().size(), "grid smaller than a window: one window");
    }

    @Test
    void windowedMaskEqualsWholeImageMaskWhenFeaturesIgnoreTheWindow() throws Exception {
        int hp = 11, wp = 13, h = hp * PATCH + 7, w = wp * PATCH + 9;
        DenseHeads heads = heads(7);
        float[] feats = HeadFixtures.randomRows(new Random(3), hp * wp, D);
        HeadFixtures.MaskCollector whole = new HeadFixtures.MaskCollector(w);
        DenseStream st = new DenseStream(heads, heads.segmentation(false), null, h, w, whole, b -> {});
        st.accept(0, TokenLevels.features(feats, hp * wp, D));
        st.finish();
        for (int[] win : new int[][]{{4, 1}, {5, 2}, {6, 3}, {13, 4}}) {
            HeadFixtures.MaskCollector out = new HeadFixtures.MaskCollector(w);
            WindowPlan plan = new WindowPlan(hp, wp, win[0], win[1]);
            WindowedRun.run(heads, heads.segmentation(false), null, plan, global(feats, wp, null), h, w, out, b -> {});
            assertArrayEquals(whole.mask(), out.mask(), "window " + Arrays.toString(win));
            assertTrue(out.bands > 1 || plan.rowStarts().length == 1, "mask bands are emitted per window row");
        }
    }

    @Test
    void overlapsAreTheWeightedMeanAndDeterministic() throws Exception {
        int hp = 6, wp = 10;
        WindowPlan plan = new WindowPlan(hp, wp, 6, 2);   // column windows at 0 and 4, overlapping tokens 4, 5
        DenseHeads heads = heads(7);
        CellHead seg = heads.segmentation(false);
        float[] feats = HeadFixtures.randomRows(new Random(4), hp * wp, D);
        Map<Integer, float[]> perWindow = new HashMap<>();
        WindowModel model = global(feats, wp, new Random(9));   // window-dependent noise on top
        float[] blended = blend(plan, seg, model, perWindow);
        assertArrayEquals(blended, blend(plan, seg, global(feats, wp, new Random(9)), new HashMap<>()), "same inputs, same bits");
        int wc = wp * S;
        // cell (row 3, col 18): token column 4 -> inside both windows; window cell columns 18 and 2
        float[] a = perWindow.get(0), b = perWindow.get(4);
        int wcols = 6 * S, row = 3;
        double wa = WindowPlan.ramp(row, 6 * S) * WindowPlan.ramp(18, 6 * S), wb = WindowPlan.ramp(row, 6 * S) * WindowPlan.ramp(2, 6 * S);
        double expect = (wa * a[row * wcols + 18] + wb * b[row * wcols + 2]) / (wa + wb);
        assertEquals(expect, blended[row * wc + 18], 1e-6 * Math.abs(expect) + 1e-7, "weighted mean (float rounding of the result)");
        assertNotEquals(a[row * wcols + 18], blended[row * wc + 18], "both windows contribute");
        assertEquals(a[row * wcols + 2], blended[row * wc + 2], 0f, "a cell seen by one window keeps its logits");
    }

    @Test
    void objectsOnWindowBordersAreReportedOnce() throws Exception {
        int hp = 10, wp = 10;
        WindowPlan plan = new WindowPlan(hp, wp, 6, 2);   // starts 0 and 4 in both axes
        DenseHeads heads = heads(7);
        float[] f = new float[hp * wp * D];
        for (int t = 0; t < hp * wp; t++) f[t * D] = -6;
        // objects centred on: the overlap middle (x = 80), window 0's right edge (x = 96), window 1's left
        // edge (x = 64), and a vertical window border (y = 96); each is proposed by the two tokens it straddles
        double[][] centres = {{80, 40}, {96, 120}, {64, 152}, {24, 96}};
        for (double[] c : centres) propose(f, wp, c[0], c[1]);
        List<Box> got = new ArrayList<>();
        WindowedRun.run(heads, null, heads.detection(), plan, global(f, wp, null), hp * PATCH, wp * PATCH, null, got::add);
        assertEquals(centres.length, got.size(), "one box per object: " + got);
        for (double[] c : centres) {
            assertEquals(1, got.stream().filter(b -> Math.abs((b.x0() + b.x1()) / 2 - c[0]) < 1e-3
                    && Math.abs((b.y0() + b.y1()) / 2 - c[1]) < 1e-3).count(), "object at " + Arrays.toString(c));
        }
    }

    /** Two tokens on either side of a border propose the same box centred at (cx, cy) (pixels). */
    static void propose(float[] f, int wp, double cx, double cy) {
        boolean vertical = cx % PATCH == 0;   // centre on a column border
        int c = (int) Math.floor(cx / PATCH), r = (int) Math.floor(cy / PATCH);
        int[][] toks = vertical ? new int[][]{{r, c - 1}, {r, c}} : new int[][]{{r - 1, c}, {r, c}};
        float score = 3f;
        for (int[] t : toks) {
            double dx = cx / PATCH - (t[1] + 0.5), dy = cy / PATCH - (t[0] + 0.5);
            int o = (t[0] * wp + t[1]) * D;
            f[o] = score;
            f[o + 1] = StreamingNmsTest.atanh(dx);
            f[o + 2] = StreamingNmsTest.atanh(dy);
            score -= 0.5f;
        }
    }

    float[] blend(WindowPlan plan, CellHead seg, WindowModel model, Map<Integer, float[]> perWindow) throws Exception {
        int wc = plan.gridCols() * S;
        float[] grid = new float[plan.gridRows() * S * wc];
        WindowBlender bl = new WindowBlender(plan, S, 1, new CellRowSink() {
            @Override
            public void acceptRows(int firstRow, float[] rows, int count) {
                System.arraycopy(rows, 0, grid, firstRow * wc, count * wc);
            }

            @Override
            public void finish() {}
        });
        for (WindowPlan.Window w : plan.windows()) {
            float[] cells = WindowedRun.toWindowCells(seg.cells(model.forward(w), w.rows() * w.cols()), w, S, 1);
            if (w.r0() == 0) perWindow.put(w.c0(), cells);
            bl.add(w, cells);
        }
        bl.finish();
        return grid;
    }

    /** Features by global token; with noise, each window also adds its own perturbation. */
    static WindowModel global(float[] feats, int wp, Random noise) {
        return w -> {
            int n = w.rows() * w.cols();
            float[] out = new float[n * D];
            for (int t = 0; t < n; t++) {
                int g = (w.r0() + t / w.cols()) * wp + w.c0() + t % w.cols();
                for (int i = 0; i < D; i++) out[t * D + i] = feats[g * D + i] + (noise == null ? 0 : (float) noise.nextGaussian());
            }
            return TokenLevels.features(out, n, D);
        };
    }

    /** Random segmentation head, identity detection head (raw outputs = the 5 features). */
    static DenseHeads heads(long seed) {
        ObjectNode c = HeadFixtures.config(D, PATCH, S, 1, 48, 0, 0);
        ((ObjectNode) c.get("dense_heads")).remove("segmentation_decoder");
        Random r = new Random(seed);
        Map<String, Tensor> m = new HashMap<>();
        m.put("seg_head.weight", HeadFixtures.normal(r, S * S, D));
        m.put("seg_head.bias", HeadFixtures.normal(r, S * S));
        float[] eye = new float[D * D];
        for (int i = 0; i < D; i++) eye[i * D + i] = 1;
        m.put("det_head.weight", Tensor.of(eye, D, D));
        m.put("det_head.bias", Tensor.zeros(D));
        return DenseHeads.load(c, new Weights("t", m));
    }
}
