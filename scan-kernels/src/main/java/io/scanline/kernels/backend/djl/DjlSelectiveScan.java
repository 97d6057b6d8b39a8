package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.tensor.Tensor;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Mamba-1 selective scan with initial state (spec ops §8.1).
 *
 * <p>Glossary: B batch, L tokens of this call, E channels, N state size, Tb tokens per block.
 *
 * <p>Why not a chunked matmul form: A is a full (E, N) matrix, so the intra-chunk decay
 * exp(A[e,n]·(Δ_t − Δ_s)) is a (t, s, e, n) tensor and costs T times the sequential work, and the
 * product form exp(A·Δ_t)·exp(−A·Δ_s) overflows for the large Δ that real inputs contain. So libtorch
 * does the transcendental work (softplus, exp(δ·A) for a block of tokens, the silu gate) vectorised,
 * and the only sequential part, h ← dA ⊙ h + δu·B and y = h·C, is a Java loop over the channel axis
 * that the JIT turns into SIMD code (contiguous, no reduction inside the inner loop). The state is
 * kept as (N, E) inside the call for that reason and as fp32 throughout (D2).
 */
final class DjlSelectiveScan {
    private DjlSelectiveScan() {}

    /**
     * Elements of one block of exp(δ·A): 256 KiB of floats, so the mul, the exp and the copy-out of
     * a block stay in L2 (1 MiB blocks measured ~1.5x slower at E = 192 on the bench machine).
     */
    private static final int BLOCK_ELEMS = 1 << 16;

    static Tensor run(NDManager m, Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                      Tensor deltaBias, boolean softplus, Tensor h) {
        OpDims.Scan dims = OpDims.Scan.of(u, delta, a, bm, cm, d, z, deltaBias, h);
        int b = dims.b(), l = dims.l(), e = dims.e(), n = dims.n();
        if (l == 0 || b == 0 || e == 0) return Tensor.zeros(b, l, e);

        NDArray uu = Nd.of(m, u);
        NDArray dl = Nd.of(m, delta);
        if (deltaBias != null) dl = dl.add(Nd.of(m, deltaBias));
        if (softplus) dl = Nd.softplus(dl);                                    // (B, L, E)
        float[][] du = rows(dl.mul(uu), b * l, e);                             // δ·u per token
        NDArray at = Nd.of(m, Tensor.of(transpose(a.f32(), e, n), n, e));       // (N, E), contiguous
        float[] bs = bm.f32(), cs = cm.f32();

        // state (B, E, N) -> rows (B·N) of E channels for the SIMD-friendly inner loop
        float[] hs = h.f32();
        float[][] st = new float[b * n][e];
        for (int bi = 0; bi < b; bi++)
            for (int ei = 0; ei < e; ei++)
                for (int ni = 0; ni < n; ni++) st[bi * n + ni][ei] = hs[(bi * e + ei) * n + ni];

        float[][] y = new float[b * l][e];
        int tb = Math.max(1, Math.min(l, BLOCK_ELEMS / Math.max(1, n * e)));
        float[][] da = new float[tb * n][e];
        for (int bi = 0; bi < b; bi++) {
            NDArray dlb = dl.get(new NDIndex("{}", bi));                         // (L, E)
            for (int t0 = 0; t0 < l; t0 += tb) {
                int t1 = Math.min(l, t0 + tb);
                // exp(δ[t, e]·A[e, n]) laid out (t, n, e), read through a direct view of the native
                // buffer; block temporaries are freed at once
                try (NDArray p = dlb.get(new NDIndex("{}:{}", t0, t1)).expandDims(1).mul(at); NDArray x = p.exp()) {
                    FloatBuffer fb = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
                    for (int r = 0; r < (t1 - t0) * n; r++) fb.get(da[r]);
                }
                scanBlock(da, du, bs, cs, st, y, bi, l, t0, t1, n);
            }
        }
        for (int bi = 0; bi < b; bi++)
            for (int ei = 0; ei < e; ei++)
                for (int ni = 0; ni < n; ni++) hs[(bi * e + ei) * n + ni] = st[bi * n + ni][ei];

        float[] yf = new float[b * l * e];
        for (int tok = 0; tok < b * l; tok++) System.arraycopy(y[tok], 0, yf, tok * e, e);
        NDArray out = Nd.of(m, yf, b, l, e);
        if (d != null) out = out.add(uu.mul(Nd.of(m, d)));
        if (z != null) out = out.mul(Nd.silu(Nd.of(m, z)));
        return Nd.toF32(out, b, l, e);
    }

    private static float[] transpose(float[] src, int rows, int cols) {
        float[] o = new float[src.length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) o[c * rows + r] = src[r * cols + c];
        return o;
    }

    /** An (rows, E) array as one Java array per row. */
    private static float[][] rows(NDArray x, int rows, int e) {
        FloatBuffer fb = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        float[][] o = new float[rows][e];
        for (float[] r : o) fb.get(r);
        return o;
    }

    /**
     * Tokens [t0, t1) of batch element bi; da holds exp(δA) for these tokens as rows (t − t0, n).
     * Every array of the inner loop is a whole row indexed by the channel alone: with offsets into
     * shared flat arrays C2 cannot rule out aliasing and leaves the loop scalar (5x slower measured).
     */
    private static void scanBlock(float[][] da, float[][] du, float[] bs, float[] cs, float[][] st, float[][] y,
                                  int bi, int l, int t0, int t1, int n) {
        for (int t = t0; t < t1; t++) {
            int tok = bi * l + t;
            float[] yr = y[tok], ur = du[tok];
            for (int ni = 0; ni < n; ni++) {
                float bn = bs[tok * n + ni], cn = cs[tok * n + ni];
                float[] ar = da[(t - t0) * n + ni], sr = st[bi * n + ni];
                for (int ei = 0; ei < yr.length; ei++) {
                    float hv = ar[ei] * sr[ei] + ur[ei] * bn;
                    sr[ei] = hv;
                    yr[ei] += hv * cn;
                }
            }
        }
    }
}
