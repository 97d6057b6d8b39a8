package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDManager;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/**
 * Causal depthwise conv1d with a carried tail (spec ops §7.1). Glossary: B batch, L tokens of this
 * chunk, C channels, K taps, xx = concat(tail, x) of L + K − 1 rows.
 *
 * <p>The taps are a Java loop over contiguous channel rows (K·C multiply-adds per token, SIMD by the
 * JIT): libtorch's grouped conv1d with groups = C plus the layout transposes cost ~10x more at chunk
 * size. Only the silu (a transcendental per element) goes through libtorch.
 */
final class DjlConv1d {
    private DjlConv1d() {}

    static Tensor run(NDManager m, Tensor x, Tensor w, Tensor bias, Tensor tail, boolean silu) {
        Shapes.requireRank(x, "x", 3);
        int b = x.dim(0), l = x.dim(1), c = x.dim(2);
        Shapes.require(w, "w", c, -1);
        int k = w.dim(1);
        if (k < 1) throw new IllegalArgumentException("conv width must be >= 1, got " + k);
        Shapes.requireOptional(bias, "bias", c);
        Shapes.require(tail, "tail", b, k - 1, c);
        if (l == 0 || b == 0 || c == 0) return Tensor.zeros(b, l, c);       // tail unchanged (ops §7.1: L = 0)
        float[] xs = x.f32(), ts = tail.f32(), ws = w.f32(), bs = bias == null ? null : bias.f32();
        float[] wt = new float[k * c];                                       // (K, C): tap-major rows
        for (int ci = 0; ci < c; ci++)
            for (int j = 0; j < k; j++) wt[j * c + ci] = ws[ci * k + j];
        int rows = l + k - 1;
        float[] xx = new float[rows * c], y = new float[b * l * c];
        for (int bi = 0; bi < b; bi++) {
            System.arraycopy(ts, bi * (k - 1) * c, xx, 0, (k - 1) * c);
            System.arraycopy(xs, bi * l * c, xx, (k - 1) * c, l * c);
            for (int t = 0; t < l; t++) {
                int yo = (bi * l + t) * c;
                if (bs != null) System.arraycopy(bs, 0, y, yo, c);
                for (int j = 0; j < k; j++) {
                    int xo = (t + j) * c, wo = j * c;
                    for (int ci = 0; ci < c; ci++) y[yo + ci] += wt[wo + ci] * xx[xo + ci];
                }
            }
            System.arraycopy(xx, l * c, ts, bi * (k - 1) * c, (k - 1) * c);  // last K−1 rows of xx
        }
        return silu ? Nd.toF32(Nd.silu(Nd.of(m, y, b, l, c)), b, l, c) : Tensor.of(y, b, l, c);
    }
}
