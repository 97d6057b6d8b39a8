package io.scanline.kernels.heads;

/**
 * Blends the sub-cell logits of overlapping windows into one cell grid: each cell is the weighted mean of
 * the windows covering it (weights {@link WindowPlan#ramp} in x times y, accumulated in double, windows
 * added in the plan's raster order so the sum is deterministic). Cell rows are handed on as soon as no
 * later window row can touch them, so only one window row of cells is held.
 *
 * <p>Glossary: Hc x Wc cell grid of the image (patch grid times s), C classes; a window's cells are
 * (C, rows * s, cols * s).
 */
public final class WindowBlender {
    private final WindowPlan plan;
    private final int s, classes, hc, wc;
    private final CellRowSink out;
    private double[] sum, weight;   // rows [bandStart, bandStart + bandRows) of the grid
    private int bandStart, emitted;

    public WindowBlender(WindowPlan plan, int subdivision, int classes, CellRowSink out) {
        this.plan = plan;
        this.s = subdivision;
        this.classes = classes;
        this.hc = plan.gridRows() * subdivision;
        this.wc = plan.gridCols() * subdivision;
        this.out = out;
        int bandRows = Math.min(plan.size(), plan.gridRows()) * subdivision;
        this.sum = new double[classes * bandRows * wc];
        this.weight = new double[bandRows * wc];
    }

    private int bandRows() { return weight.length / wc; }

    /** Cells (C, w.rows*s, w.cols*s) of window w, which must belong to the current or a later window row. */
    public void add(WindowPlan.Window w, float[] cells) {
        int rows = w.rows() * s, cols = w.cols() * s;
        if (cells.length != classes * rows * cols) throw new IllegalArgumentException("window cells: " + cells.length + " values, expected " + classes * rows * cols);
        int r0 = w.r0() * s, c0 = w.c0() * s;
        if (r0 < emitted) throw new IllegalStateException("window at cell row " + r0 + " arrived after rows up to " + emitted + " were emitted");
        flushBefore(r0);
        if (r0 + rows - bandStart > bandRows()) grow(r0 + rows - bandStart);
        int br = bandRows();
        for (int i = 0; i < rows; i++) {
            double wy = WindowPlan.ramp(i, rows);
            int gr = r0 + i - bandStart;
            for (int j = 0; j < cols; j++) {
                double wgt = wy * WindowPlan.ramp(j, cols);
                int g = gr * wc + c0 + j;
                weight[g] += wgt;
                for (int k = 0; k < classes; k++) sum[(k * br + gr) * wc + c0 + j] += wgt * cells[(k * rows + i) * cols + j];
            }
        }
    }

    /** All windows added: emits the remaining rows. */
    public void finish() {
        flushBefore(hc);
        if (emitted != hc) throw new IllegalStateException("windows covered " + emitted + " of " + hc + " cell rows");
        out.finish();
    }

    /** Rows above cell row r are final (windows come in raster order, so no later window reaches them). */
    private void flushBefore(int r) {
        int n = Math.min(r, hc) - bandStart;
        if (n <= 0) return;
        int br = bandRows();
        n = Math.min(n, br);
        float[] rows = new float[n * classes * wc];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < classes; k++) {
                for (int j = 0; j < wc; j++) {
                    double wg = weight[i * wc + j];
                    if (!(wg > 0)) throw new IllegalStateException("cell (" + (bandStart + i) + ", " + j + ") covered by no window");
                    rows[(i * classes + k) * wc + j] = (float) (sum[(k * br + i) * wc + j] / wg);
                }
            }
        }
        out.acceptRows(bandStart, rows, n);
        emitted = bandStart + n;
        // shift the band up by n rows
        double[] ns = new double[sum.length], nw = new double[weight.length];
        for (int k = 0; k < classes; k++) System.arraycopy(sum, (k * br + n) * wc, ns, k * br * wc, (br - n) * wc);
        System.arraycopy(weight, n * wc, nw, 0, (br - n) * wc);
        sum = ns;
        weight = nw;
        bandStart += n;
    }

    private void grow(int rows) {
        int br = bandRows();
        double[] ns = new double[classes * rows * wc], nw = new double[rows * wc];
        for (int k = 0; k < classes; k++) System.arraycopy(sum, k * br * wc, ns, k * rows * wc, br * wc);
        System.arraycopy(weight, 0, nw, 0, br * wc);
        sum = ns;
        weight = nw;
    }
}
