package io.scanline.kernels.heads;

/**
 * Turns cell-grid logit rows into pixel mask rows: per class, bilinear upsampling of the logits by
 * {@code factor = ps / s} with PyTorch's {@code align_corners=False} rule (the training script upsamples
 * the same way), then per pixel a label: for one class 255 where the logit exceeds the threshold logit,
 * else 0; for several classes the index of the largest logit. Pixels right of / below the last full patch
 * (dropped by the patch embedding) take the clamped edge cells, so the mask has the image's full size.
 *
 * <p>Streaming: pixel row y needs cell rows floor(src(y)) and the one below; bands are emitted as soon
 * as those rows are in, holding only a few cell rows. Glossary: Hc x Wc cell grid, C classes,
 * H x W image in pixels.
 */
public final class PixelMask implements CellRowSink {
    private final int hc, wc, classes, factor, height, width;
    private final double threshold;
    private final MaskBandSink out;
    private final float[][] rows;   // ring of cell rows by index, only the ones still needed
    private int received, nextPixelRow;

    public PixelMask(int cellRows, int cellCols, int classes, int factor, int height, int width,
                     double thresholdLogit, MaskBandSink out) {
        if (cellRows <= 0 || cellCols <= 0 || factor <= 0 || height <= 0 || width <= 0 || classes <= 0) {
            throw new IllegalArgumentException("mask " + height + "x" + width + " from cells " + cellRows + "x" + cellCols);
        }
        this.hc = cellRows;
        this.wc = cellCols;
        this.classes = classes;
        this.factor = factor;
        this.height = height;
        this.width = width;
        this.threshold = thresholdLogit;
        this.out = out;
        this.rows = new float[cellRows][];
    }

    @Override
    public void acceptRows(int firstRow, float[] data, int count) {
        if (firstRow != received) throw new IllegalStateException("cell row " + firstRow + " arrived, expected " + received);
        int len = classes * wc;
        for (int i = 0; i < count; i++) {
            float[] r = new float[len];
            System.arraycopy(data, i * len, r, 0, len);
            rows[firstRow + i] = r;
        }
        received += count;
        emit(false);
    }

    @Override
    public void finish() {
        if (received != hc) throw new IllegalStateException("cell grid ended at row " + received + " of " + hc);
        emit(true);
        out.finish();
    }

    /** Source coordinate of output index o, PyTorch upsample_bilinear2d with align_corners=False. */
    static double src(int o, int factor) {
        return Math.max((o + 0.5) / factor - 0.5, 0.0);
    }

    private void emit(boolean all) {
        int start = nextPixelRow, end = start;
        while (end < height) {
            int i0 = Math.min((int) src(end, factor), hc - 1);
            int i1 = Math.min(i0 + 1, hc - 1);
            if (!all && i1 >= received) break;
            end++;
        }
        if (end == start) return;
        byte[] px = new byte[(end - start) * width];
        double[] col = new double[classes];
        int[] x0 = new int[width], x1 = new int[width];
        double[] lx = new double[width];
        for (int x = 0; x < width; x++) {
            double sx = src(x, factor);
            x0[x] = Math.min((int) sx, wc - 1);
            x1[x] = Math.min(x0[x] + 1, wc - 1);
            lx[x] = x0[x] == wc - 1 ? 0 : sx - x0[x];
        }
        for (int y = start; y < end; y++) {
            double sy = src(y, factor);
            int i0 = Math.min((int) sy, hc - 1), i1 = Math.min(i0 + 1, hc - 1);
            double ly = i0 == hc - 1 ? 0 : sy - i0;
            float[] a = rows[i0], b = rows[i1];
            for (int x = 0; x < width; x++) {
                for (int k = 0; k < classes; k++) {
                    int o = k * wc;
                    double top = (1 - lx[x]) * a[o + x0[x]] + lx[x] * a[o + x1[x]];
                    double bot = (1 - lx[x]) * b[o + x0[x]] + lx[x] * b[o + x1[x]];
                    col[k] = (1 - ly) * top + ly * bot;
                }
                px[(y - start) * width + x] = label(col);
            }
        }
        nextPixelRow = end;
        // drop cell rows no later pixel row reads
        int needFrom = end < height ? Math.min((int) src(end, factor), hc - 1) : hc;
        for (int i = 0; i < needFrom && i < hc; i++) rows[i] = null;
        out.acceptBand(start, end - start, px);
    }

    private byte label(double[] logits) {
        if (classes == 1) return logits[0] > threshold ? (byte) 255 : 0;
        int best = 0;
        for (int k = 1; k < classes; k++) if (logits[k] > logits[best]) best = k;
        return (byte) best;
    }

    /** Logit of one class at one pixel from a full cell grid (C, Hc, Wc): the reference the tests use. */
    static double bilinearAt(float[] grid, int hc, int wc, int k, int factor, int y, int x) {
        double sy = src(y, factor), sx = src(x, factor);
        int i0 = Math.min((int) sy, hc - 1), i1 = Math.min(i0 + 1, hc - 1);
        int j0 = Math.min((int) sx, wc - 1), j1 = Math.min(j0 + 1, wc - 1);
        double ly = i0 == hc - 1 ? 0 : sy - i0, lx = j0 == wc - 1 ? 0 : sx - j0;
        int o = k * hc * wc;
        return (1 - ly) * ((1 - lx) * grid[o + i0 * wc + j0] + lx * grid[o + i0 * wc + j1])
                + ly * ((1 - lx) * grid[o + i1 * wc + j0] + lx * grid[o + i1 * wc + j1]);
    }
}
