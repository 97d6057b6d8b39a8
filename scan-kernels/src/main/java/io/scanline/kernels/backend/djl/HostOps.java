package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/**
 * Ops of the djl backend that run as plain Java loops on the host arrays.
 *
 * <p>Glossary: rows = product of the leading axes of a (..., C) tensor; C channels; E = C for the
 * headwise map (blocks of 4); B batch, ch image channels, ps patch size, Hp/Wp patch grid, K = ch·ps².
 *
 * <p>Why on the host: these ops do few flops per element and their inputs and outputs are host
 * tensors, so a libtorch call would spend its time copying in and out. They differ from the
 * reference's loops in layout and accumulation (fp32 sums, channel-contiguous rows that the JIT
 * vectorizes), hence the tolerance-based tests against it.
 */
final class HostOps {
    private HostOps() {}

    /**
     * Block-diagonal 4×4 map, as seven diagonals: output c takes input c + d (d = −3 … 3) times the
     * block's weight on that diagonal (0 where c + d leaves c's block). Each diagonal is a copy of the
     * row shifted by d and a same-index multiply-add over the whole row, which C2 vectorizes; the
     * per-block 4×4 loop stayed scalar (~1.6 µs per 384-wide row).
     */
    static Tensor headwiseLinear(Tensor x, Tensor w, Tensor b) {
        int e = x.dim(-1);
        if (e % 4 != 0) throw new IllegalArgumentException("headwise linear needs width divisible by 4, got " + e);
        Shapes.require(w, "weight", e / 4, 4, 4);
        Shapes.requireOptional(b, "bias", e);
        float[] xs = x.f32(), ws = w.f32(), bs = b == null ? null : b.f32(), o = new float[xs.length];
        float[][] diag = new float[7][e];                 // diag[d + 3][c] = w[c / 4][c % 4][c % 4 + d]
        for (int c = 0; c < e; c++) {
            int k = c % 4, blk = (c / 4) * 16 + k * 4;
            for (int i = 0; i < 4; i++) diag[i - k + 3][c] = ws[blk + i];
        }
        float[] acc = new float[e], xd = new float[e];
        for (int r = 0; r < xs.length; r += e) {
            if (bs != null) System.arraycopy(bs, 0, acc, 0, e); else java.util.Arrays.fill(acc, 0f);
            for (int d = -3; d <= 3; d++) {
                int lo = Math.max(0, -d), hi = Math.min(e, e - d);
                System.arraycopy(xs, r + lo + d, xd, lo, hi - lo);
                float[] wd = diag[d + 3];
                for (int c = lo; c < hi; c++) acc[c] += wd[c] * xd[c];
            }
            System.arraycopy(acc, 0, o, r, e);
        }
        return Tensor.of(o, x.shape());
    }

    /**
     * LayerNorm per group of channels (ops §5): mean and centred variance in fp64 like the reference
     * (sums split over four accumulators), the normalization in fp32 on the row's own arrays so that
     * C2 vectorizes it. The sums round in a different order and the affine step in fp32, hence the
     * tolerance-based tests against the reference.
     */
    static Tensor groupLayerNorm(Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps) {
        int c = x.dim(-1);
        if (groupSize < 1 || c % groupSize != 0) throw new IllegalArgumentException("group size " + groupSize + " does not divide width " + c);
        Shapes.requireOptional(gamma, "weight", c);
        Shapes.requireOptional(beta, "bias", c);
        float[] xs = x.f32(), y = new float[xs.length];
        float[] gs = new float[c], bs = new float[c], xr = new float[c], yr = new float[c];
        if (gamma != null) System.arraycopy(gamma.f32(), 0, gs, 0, c); else java.util.Arrays.fill(gs, 1f);
        if (beta != null) System.arraycopy(beta.f32(), 0, bs, 0, c);
        for (int r = 0; r < xs.length; r += c) {
            System.arraycopy(xs, r, xr, 0, c);
            for (int g0 = 0; g0 < c; g0 += groupSize) {
                int g1 = g0 + groupSize, i = g0;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (; i + 3 < g1; i += 4) { s0 += xr[i]; s1 += xr[i + 1]; s2 += xr[i + 2]; s3 += xr[i + 3]; }
                for (; i < g1; i++) s0 += xr[i];
                double mean = (s0 + s1 + s2 + s3) / groupSize;
                double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
                for (i = g0; i + 3 < g1; i += 4) {
                    double d0 = xr[i] - mean, d1 = xr[i + 1] - mean, d2 = xr[i + 2] - mean, d3 = xr[i + 3] - mean;
                    v0 += d0 * d0; v1 += d1 * d1; v2 += d2 * d2; v3 += d3 * d3;
                }
                for (; i < g1; i++) { double d0 = xr[i] - mean; v0 += d0 * d0; }
                double inv = 1.0 / Math.sqrt((v0 + v1 + v2 + v3) / groupSize + eps);
                // fp32 from here (the loop vectorizes), the mean as a float pair: x − hi is exact near
                // the mean (Sterbenz) and − lo restores the fp64 mean to ~2^−48, so each centred value
                // keeps a relative error of a few 2^−24 however large the mean is against the spread
                float hi = (float) mean, lo = (float) (mean - hi), sc = (float) inv;
                for (i = g0; i < g1; i++) yr[i] = ((xr[i] - hi) - lo) * sc * gs[i] + bs[i];
            }
            System.arraycopy(yr, 0, y, r, c);
        }
        return Tensor.of(y, x.shape());
    }

    /**
     * ViL 3×3 depthwise conv, zero padding 1 (ops §7.2), x (B, Hp, Wp, E). Each pixel's channels are
     * a row array and every access in the tap loop is indexed by the channel alone, so C2 vectorizes
     * it; libtorch's grouped conv2d plus its layout transposes cost several times more per grid row.
     */
    static Tensor depthwise3x3(Tensor x, Tensor w, Tensor b) {
        Shapes.requireRank(x, "x", 4);
        int bsz = x.dim(0), hp = x.dim(1), wp = x.dim(2), e = x.dim(3);
        Shapes.require(w, "conv weight", e, 3, 3);
        Shapes.requireOptional(b, "conv bias", e);
        float[] xs = x.f32(), ws = w.f32(), bs = b == null ? null : b.f32(), y = new float[xs.length];
        if (xs.length == 0) return Tensor.of(y, x.shape());
        float[][] taps = new float[9][e];
        for (int ch = 0; ch < e; ch++)
            for (int k = 0; k < 9; k++) taps[k][ch] = ws[ch * 9 + k];
        float[][] px = new float[hp * wp][];
        float[] acc = new float[e];
        for (int bi = 0; bi < bsz; bi++) {
            for (int i = 0; i < hp * wp; i++) {
                float[] row = new float[e];
                System.arraycopy(xs, (bi * hp * wp + i) * e, row, 0, e);
                px[i] = row;
            }
            for (int r = 0; r < hp; r++)
                for (int c = 0; c < wp; c++) {
                    if (bs != null) System.arraycopy(bs, 0, acc, 0, e); else java.util.Arrays.fill(acc, 0f);
                    for (int a = 0; a < 3; a++) {
                        int rr = r + a - 1;
                        if (rr < 0 || rr >= hp) continue;
                        for (int bb = 0; bb < 3; bb++) {
                            int cc = c + bb - 1;
                            if (cc < 0 || cc >= wp) continue;
                            float[] tr = taps[a * 3 + bb], xr = px[rr * wp + cc];
                            for (int ch = 0; ch < e; ch++) acc[ch] += tr[ch] * xr[ch];
                        }
                    }
                    System.arraycopy(acc, 0, y, ((bi * hp + r) * wp + c) * e, e);
                }
        }
        return Tensor.of(y, x.shape());
    }

    /**
     * The patches of an image as rows of a GEMM operand, (B·Hp·Wp, K), each row in the (ch, i, j)
     * order of a flattened conv weight: patch embedding is then one linear with w viewed as (D, K).
     */
    static float[] im2col(Tensor img, OpDims.Patch pd, int stride) {
        int ch = pd.ch(), hh = pd.h(), ww = pd.w(), ps = pd.ps(), hp = pd.hp(), wp = pd.wp();
        int k = ch * ps * ps;
        float[] is = img.f32(), cols = new float[pd.b() * hp * wp * k];
        int o = 0;
        for (int bi = 0; bi < pd.b(); bi++)
            for (int r = 0; r < hp; r++)
                for (int c = 0; c < wp; c++)
                    for (int cc = 0; cc < ch; cc++)
                        for (int i = 0; i < ps; i++, o += ps)
                            System.arraycopy(is, ((bi * ch + cc) * hh + r * stride + i) * ww + c * stride, cols, o, ps);
        return cols;
    }
}
