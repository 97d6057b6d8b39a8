package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDManager;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/**
 * Causal depthwise conv1d with a carried tail (spec ops §7.1). Glossary: B batch, L tokens of this
 * chunk, C channels, K taps, xx = concat(tail, x) of L + K − 1 rows.
 *
 * <p>The taps are a Java loop over channel rows (K·C multiply-adds per token, SIMD by the JIT):
 * libtorch's grouped conv1d with groups = C plus the layout transposes cost several times more at
 * chunk size. Only the silu (a transcendental per element) goes through libtorch.
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
        float[][] wt = new float[k][c];                                      // tap-major rows
        for (int ci = 0; ci < c; ci++)
            for (int j = 0; j < k; j++) wt[j][ci] = ws[ci * k + j];
        // rows of xx = concat(tail, x) as separate arrays, and one accumulator row: with every access
        // indexed by the channel alone C2 vectorizes the tap loop (offsets into one flat array it cannot)
        float[][] xx = new float[l + k - 1][];
        float[] acc = new float[c], y = new float[b * l * c];
        for (int bi = 0; bi < b; bi++) {
            for (int r = 0; r < l + k - 1; r++) {
                float[] row = new float[c];
                if (r < k - 1) System.arraycopy(ts, (bi * (k - 1) + r) * c, row, 0, c);
                else System.arraycopy(xs, (bi * l + r - (k - 1)) * c, row, 0, c);
                xx[r] = row;
            }
            for (int t = 0; t < l; t++) {
                if (bs != null) System.arraycopy(bs, 0, acc, 0, c); else java.util.Arrays.fill(acc, 0f);
                for (int j = 0; j < k; j++) {
                    float[] wr = wt[j], xr = xx[t + j];
                    for (int ci = 0; ci < c; ci++) acc[ci] += wr[ci] * xr[ci];
                }
                System.arraycopy(acc, 0, y, (bi * l + t) * c, c);
            }
            for (int r = 0; r < k - 1; r++) System.arraycopy(xx[l + r], 0, ts, (bi * (k - 1) + r) * c, c);  // new tail
        }
        return silu ? Nd.toF32(Nd.silu(Nd.of(m, y, b, l, c)), b, l, c) : Tensor.of(y, b, l, c);
    }
}
