package io.scanline.kernels.backend.reference;

import io.scanline.kernels.backend.BicubicTaps;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/** PyTorch-identical bicubic resize, align_corners=False, A = −0.75, computed in fp64 (spec ops §12). */
final class RefResize {
    private RefResize() {}

    static Tensor resize(Tensor t, int outH, int outW) {
        Shapes.requireRank(t, "table", 3);
        int c = t.dim(0), h = t.dim(1), w = t.dim(2);
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("resize target " + outH + "x" + outW);
        float[] out = new float[c * outH * outW];
        double[] src = t.toF64().f64(); // one host read, not one per tap
        int[] iy = new int[4], ix = new int[4];
        double[] wy = new double[4], wx = new double[4];
        for (int oy = 0; oy < outH; oy++) {
            BicubicTaps.axis(h, outH, oy, iy, wy);
            for (int ox = 0; ox < outW; ox++) {
                BicubicTaps.axis(w, outW, ox, ix, wx);
                for (int ch = 0; ch < c; ch++) {
                    double acc = 0.0;
                    for (int a = 0; a < 4; a++) {
                        double row = 0.0;
                        for (int b = 0; b < 4; b++) row += wx[b] * src[(ch * h + iy[a]) * w + ix[b]];
                        acc += wy[a] * row;
                    }
                    out[(ch * outH + oy) * outW + ox] = (float) acc;
                }
            }
        }
        return Tensor.of(out, c, outH, outW);
    }
}
