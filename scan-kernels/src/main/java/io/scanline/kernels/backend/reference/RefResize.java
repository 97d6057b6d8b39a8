package io.scanline.kernels.backend.reference;

import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/** PyTorch-identical bicubic resize, align_corners=False, A = −0.75, computed in fp64 (spec ops §12). */
final class RefResize {
    private RefResize() {}

    private static final double A = -0.75;

    /** Taps (4 clamped indices) and weights of one output coordinate along one axis. */
    static void axis(int n, int nOut, int o, int[] idx, double[] w) {
        double scale = (double) n / nOut;
        double r = scale * (o + 0.5) - 0.5;      // not clamped at 0
        int i0 = (int) Math.floor(r);
        double t = r - i0;
        w[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
        w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
        w[2] = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
        w[3] = ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A;
        for (int k = 0; k < 4; k++) idx[k] = Math.min(Math.max(i0 - 1 + k, 0), n - 1);
    }

    static Tensor resize(Tensor t, int outH, int outW) {
        Shapes.requireRank(t, "table", 3);
        int c = t.dim(0), h = t.dim(1), w = t.dim(2);
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("resize target " + outH + "x" + outW);
        float[] out = new float[c * outH * outW];
        int[] iy = new int[4], ix = new int[4];
        double[] wy = new double[4], wx = new double[4];
        for (int oy = 0; oy < outH; oy++) {
            axis(h, outH, oy, iy, wy);
            for (int ox = 0; ox < outW; ox++) {
                axis(w, outW, ox, ix, wx);
                for (int ch = 0; ch < c; ch++) {
                    double acc = 0.0;
                    for (int a = 0; a < 4; a++) {
                        double row = 0.0;
                        for (int b = 0; b < 4; b++) row += wx[b] * t.getDouble((ch * h + iy[a]) * w + ix[b]);
                        acc += wy[a] * row;
                    }
                    out[(ch * outH + oy) * outW + ox] = (float) acc;
                }
            }
        }
        return Tensor.of(out, c, outH, outW);
    }
}
