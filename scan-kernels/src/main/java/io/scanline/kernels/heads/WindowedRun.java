package io.scanline.kernels.heads;

import java.util.List;
import java.util.function.Consumer;

/**
 * Dense outputs of one image from a backbone run window by window ({@link WindowPlan}): masks are the
 * deterministic blend of overlapping windows ({@link WindowBlender}), boxes go through one
 * {@link StreamingNms} for the whole image, so an object seen by two windows, or cut by a window border,
 * is reported once.
 *
 * <p>Glossary: Hp x Wp patch grid, H x W image pixels, s sub-cells per patch side, C classes.
 */
public final class WindowedRun {
    private WindowedRun() {}

    public static void run(DenseHeads heads, CellHead seg, DetectionHead det, WindowPlan plan, WindowModel model,
                           int height, int width, MaskBandSink mask, Consumer<Box> boxes) throws Exception {
        int patch = heads.patch();
        if (plan.gridRows() != height / patch || plan.gridCols() != width / patch) {
            throw new IllegalArgumentException("plan grid " + plan.gridRows() + "x" + plan.gridCols() + " does not match image "
                    + width + "x" + height + " with patch " + patch);
        }
        WindowBlender blender = null;
        if (seg != null) {
            int s = seg.subdivision();
            PixelMask px = new PixelMask(plan.gridRows() * s, plan.gridCols() * s, seg.classes(), patch / s, height, width,
                    heads.segmentationThreshold(), mask);
            blender = new WindowBlender(plan, s, seg.classes(), px);
        }
        StreamingNms nms = det != null ? new StreamingNms(heads.nmsIou(), boxes) : null;
        List<WindowPlan.Window> ws = plan.windows();
        int[] rowStarts = plan.rowStarts();
        int rowIdx = 0;
        for (int i = 0; i < ws.size(); i++) {
            WindowPlan.Window w = ws.get(i);
            TokenLevels lv = model.forward(w);
            int n = w.rows() * w.cols();
            if (lv.tokens() != n) throw new IllegalStateException("window model returned " + lv.tokens() + " tokens for a window of " + n);
            if (blender != null) blender.add(w, toWindowCells(seg.cells(lv, n), w, seg.subdivision(), seg.classes()));
            if (nms != null) {
                for (Box b : det.decode(det.raw(lv.get(TokenLevels.FEATURES), n), n, 0, w.cols(), patch)) {
                    long r = w.r0() + b.token() / w.cols(), c = w.c0() + b.token() % w.cols();
                    nms.add(List.of(b.shifted(w.c0() * (double) patch, w.r0() * (double) patch).withToken(r * plan.gridCols() + c)));
                }
            }
            boolean rowDone = i + 1 == ws.size() || ws.get(i + 1).r0() != w.r0();
            if (rowDone && nms != null && rowIdx + 1 < rowStarts.length) {
                nms.advance(det.minTopFromRow(rowStarts[rowIdx + 1], patch));
            }
            if (rowDone) rowIdx++;
        }
        if (blender != null) blender.finish();
        if (nms != null) nms.finish();
    }

    /** Per-token cells (n, C*s*s) of a window -> the window's cell grid (C, rows*s, cols*s). */
    static float[] toWindowCells(float[] cells, WindowPlan.Window w, int s, int classes) {
        int rows = w.rows() * s, cols = w.cols() * s, per = classes * s * s;
        float[] g = new float[classes * rows * cols];
        for (int t = 0; t < w.rows() * w.cols(); t++) {
            int r = t / w.cols(), c = t % w.cols();
            for (int k = 0; k < classes; k++) {
                for (int a = 0; a < s; a++) {
                    for (int b = 0; b < s; b++) {
                        g[(k * rows + r * s + a) * cols + c * s + b] = cells[t * per + (k * s + a) * s + b];
                    }
                }
            }
        }
        return g;
    }
}
