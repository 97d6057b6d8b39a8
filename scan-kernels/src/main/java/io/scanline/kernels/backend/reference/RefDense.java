package io.scanline.kernels.backend.reference;

import io.scanline.kernels.backend.Activations;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/** Reference per-token ops (spec ops §4–§7.2, §11): plain loops, double accumulation, one fp32 rounding. */
final class RefDense {
    private RefDense() {}

    static Tensor linear(Tensor x, Tensor w, Tensor b) {
        int in = x.dim(-1);
        Shapes.require(w, "weight", -1, in);
        int out = w.dim(0);
        Shapes.requireOptional(b, "bias", out);
        int rows = Shapes.rows(x);
        float[] xs = x.f32(), ws = w.f32(), bs = b == null ? null : b.f32();
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            int xo = r * in;
            for (int o = 0; o < out; o++) {
                int wo = o * in;
                double acc = bs == null ? 0.0 : bs[o];
                for (int i = 0; i < in; i++) acc += (double) xs[xo + i] * ws[wo + i];
                y[r * out + o] = (float) acc;
            }
        }
        return Tensor.of(y, Shapes.withLast(x.shape(), out));
    }

    static Tensor headwiseLinear(Tensor x, Tensor w, Tensor b) {
        int e = x.dim(-1);
        if (e % 4 != 0) throw new IllegalArgumentException("headwise linear needs width divisible by 4, got " + e);
        Shapes.require(w, "weight", e / 4, 4, 4);
        Shapes.requireOptional(b, "bias", e);
        int rows = Shapes.rows(x);
        float[] xs = x.f32(), ws = w.f32(), bs = b == null ? null : b.f32();
        float[] y = new float[xs.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < e / 4; j++) {
                for (int o = 0; o < 4; o++) {
                    double acc = bs == null ? 0.0 : bs[4 * j + o];
                    for (int d = 0; d < 4; d++) acc += (double) ws[(j * 4 + o) * 4 + d] * xs[r * e + 4 * j + d];
                    y[r * e + 4 * j + o] = (float) acc;
                }
            }
        }
        return Tensor.of(y, x.shape());
    }

    /** LayerNorm (groupSize = C) or per-group LayerNorm, then per-channel affine. */
    static Tensor groupLayerNorm(Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps) {
        int c = x.dim(-1);
        checkGroups(c, groupSize);
        Shapes.requireOptional(gamma, "weight", c);
        Shapes.requireOptional(beta, "bias", c);
        float[] xs = x.f32(), gs = gamma == null ? null : gamma.f32(), bs = beta == null ? null : beta.f32();
        float[] y = new float[xs.length];
        int rows = Shapes.rows(x);
        for (int r = 0; r < rows; r++) {
            for (int g0 = 0; g0 < c; g0 += groupSize) {
                int o = r * c + g0;
                double mean = 0.0;
                for (int i = 0; i < groupSize; i++) mean += xs[o + i];
                mean /= groupSize;
                double var = 0.0;
                for (int i = 0; i < groupSize; i++) {
                    double dv = xs[o + i] - mean;
                    var += dv * dv;
                }
                var /= groupSize;
                double inv = 1.0 / Math.sqrt(var + eps);
                for (int i = 0; i < groupSize; i++) {
                    double v = (xs[o + i] - mean) * inv;
                    if (gs != null) v *= gs[g0 + i];
                    if (bs != null) v += bs[g0 + i];
                    y[o + i] = (float) v;
                }
            }
        }
        return Tensor.of(y, x.shape());
    }

    /** RMS normalization per group of channels of g (already gated if needed), optional weight. */
    static Tensor groupRms(float[] g, int[] shape, int groupSize, Tensor w, double eps) {
        int c = shape[shape.length - 1];
        checkGroups(c, groupSize);
        Shapes.requireOptional(w, "weight", c);
        float[] ws = w == null ? null : w.f32();
        float[] y = new float[g.length];
        int rows = g.length / Math.max(1, c);
        for (int r = 0; r < rows; r++) {
            for (int g0 = 0; g0 < c; g0 += groupSize) {
                int o = r * c + g0;
                double ss = 0.0;
                for (int i = 0; i < groupSize; i++) ss += (double) g[o + i] * g[o + i];
                double inv = 1.0 / Math.sqrt(ss / groupSize + eps);
                for (int i = 0; i < groupSize; i++) {
                    double v = g[o + i] * inv;
                    if (ws != null) v *= ws[g0 + i];
                    y[o + i] = (float) v;
                }
            }
        }
        return Tensor.of(y, shape);
    }

    static Tensor gatedRms(Tensor y, Tensor z, Tensor w, int groupSize, double eps) {
        if (!y.sameShape(z)) throw new IllegalArgumentException("gated RMSNorm: y " + y + " and z " + z + " differ");
        int c = y.dim(-1);
        checkGroups(c, groupSize);
        Shapes.requireOptional(w, "weight", c);
        float[] ys = y.f32(), zs = z.f32(), ws = w == null ? null : w.f32();
        float[] out = new float[ys.length];
        int rows = Shapes.rows(y);
        double[] g = new double[groupSize];
        for (int r = 0; r < rows; r++) {
            for (int g0 = 0; g0 < c; g0 += groupSize) {
                int o = r * c + g0;
                double ss = 0.0;
                for (int i = 0; i < groupSize; i++) {
                    g[i] = ys[o + i] * Activations.silu(zs[o + i]);
                    ss += g[i] * g[i];
                }
                double inv = 1.0 / Math.sqrt(ss / groupSize + eps);
                for (int i = 0; i < groupSize; i++) {
                    double v = g[i] * inv;
                    if (ws != null) v *= ws[g0 + i];
                    out[o + i] = (float) v;
                }
            }
        }
        return Tensor.of(out, y.shape());
    }

    private static void checkGroups(int c, int groupSize) {
        if (groupSize < 1 || c % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide width " + c);
        }
    }

    static Tensor rope(Tensor x, Tensor freq, long[] pos0, double rho) {
        Shapes.requireRank(x, "x", 3);
        int b = x.dim(0), l = x.dim(1), n = x.dim(2);
        if (n % 2 != 0) throw new IllegalArgumentException("RoPE width must be even, got " + n);
        Shapes.require(freq, "freq", n);
        if (pos0.length != b) throw new IllegalArgumentException("pos0 has " + pos0.length + " entries for batch " + b);
        float[] xs = x.f32(), fs = freq.f32();
        float[] y = new float[xs.length];
        for (int bi = 0; bi < b; bi++) {
            for (int t = 0; t < l; t++) {
                double pos = (double) (pos0[bi] + t) / rho;   // exact integer position, fp64 angle (ops §11)
                int o = (bi * l + t) * n;
                for (int i = 0; i < n; i += 2) {
                    double th0 = pos * fs[i], th1 = pos * fs[i + 1];
                    double v0 = xs[o + i], v1 = xs[o + i + 1];
                    y[o + i] = (float) (v0 * Math.cos(th0) - v1 * Math.sin(th0));
                    y[o + i + 1] = (float) (v1 * Math.cos(th1) + v0 * Math.sin(th1));
                }
            }
        }
        return Tensor.of(y, x.shape());
    }

    static Tensor patchEmbed(Tensor img, Tensor w, Tensor b, int stride) {
        OpDims.Patch pd = OpDims.Patch.of(img, w, b, stride);
        int bsz = pd.b(), ch = pd.ch(), hh = pd.h(), ww = pd.w(), d = pd.d(), ps = pd.ps(), hp = pd.hp(), wp = pd.wp();
        float[] is = img.f32(), ws = w.f32(), bs = b == null ? null : b.f32();
        int k = ch * ps * ps;
        float[] patch = new float[k];
        float[] out = new float[bsz * hp * wp * d];
        for (int bi = 0; bi < bsz; bi++) {
            for (int r = 0; r < hp; r++) {
                for (int c = 0; c < wp; c++) {
                    int idx = 0;
                    for (int cc = 0; cc < ch; cc++)
                        for (int i = 0; i < ps; i++)
                            for (int j = 0; j < ps; j++)
                                patch[idx++] = is[((bi * ch + cc) * hh + r * stride + i) * ww + c * stride + j];
                    int o = ((bi * hp + r) * wp + c) * d;
                    for (int dd = 0; dd < d; dd++) {
                        double acc = bs == null ? 0.0 : bs[dd];
                        for (int x = 0; x < k; x++) acc += (double) ws[dd * k + x] * patch[x];
                        out[o + dd] = (float) acc;
                    }
                }
            }
        }
        return Tensor.of(out, bsz, hp * wp, d);
    }

    static Tensor depthwise3x3(Tensor x, Tensor w, Tensor b) {
        Shapes.requireRank(x, "x", 4);
        int bsz = x.dim(0), hp = x.dim(1), wp = x.dim(2), e = x.dim(3);
        Shapes.require(w, "conv weight", e, 3, 3);
        Shapes.requireOptional(b, "conv bias", e);
        float[] xs = x.f32(), ws = w.f32(), bs = b == null ? null : b.f32();
        float[] y = new float[xs.length];
        for (int bi = 0; bi < bsz; bi++)
            for (int r = 0; r < hp; r++)
                for (int c = 0; c < wp; c++)
                    for (int ch = 0; ch < e; ch++) {
                        double acc = bs == null ? 0.0 : bs[ch];
                        for (int a = 0; a < 3; a++) {
                            int rr = r + a - 1;
                            if (rr < 0 || rr >= hp) continue;
                            for (int bb = 0; bb < 3; bb++) {
                                int cc = c + bb - 1;
                                if (cc < 0 || cc >= wp) continue;
                                acc += (double) ws[(ch * 3 + a) * 3 + bb] * xs[((bi * hp + rr) * wp + cc) * e + ch];
                            }
                        }
                        y[((bi * hp + r) * wp + c) * e + ch] = (float) acc;
                    }
        return Tensor.of(y, x.shape());
    }
}
