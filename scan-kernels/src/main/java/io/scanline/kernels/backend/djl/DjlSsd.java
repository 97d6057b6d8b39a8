package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.scanline.kernels.backend.Activations;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.tensor.Tensor;

/**
 * Mamba-2 SSD in the chunked form with an incoming state (spec ops §9.2), chunk after chunk.
 *
 * <p>Glossary: B batch, L tokens, H heads = G groups × hpg heads per group, P head dim, N state size,
 * Q tokens of the current chunk (l rows, s columns), Λ_l = Σ_{r≤l} δ_r·A (chunk-local log-decay).
 * Heads are viewed as (G, hpg) so B and C (per group) broadcast over the heads of their group.
 *
 * <p>Split of the work: δ, Λ and every decay factor are O(Q²) scalars per head, computed in fp64
 * Java; libtorch does the matmuls and the one big exp. Per chunk the output is one fused matmul,
 * y = [CBᵀ ⊙ exp(Λ_l − Λ_s) ⊙ δ_s | C ⊙ exp(Λ_l)] · [x ; S_inᵀ], and the state one more,
 * S_out = exp(Λ_end)·S_in + (x ⊙ exp(Λ_end − Λ_s)·δ_s)ᵀ · B: about fifteen native calls per chunk
 * instead of the fifty fp64 tensor ops that dominated the op before.
 *
 * <p>Forms: RECURRENT (whose chunk argument is ignored by contract) and CHUNKED both run this chunked
 * algorithm, equal by §9.2, with chunks of at most {@link #MAX_INNER} tokens.
 *
 * <p>Precision: δ and the prefix sums Λ are fp64; the Q×Q exponent Λ_l − Λ_s is formed in fp64 and
 * rounded to fp32 before libtorch's fp32 exp (relative error of the factor ≤ 6e-8·|Λ_l − Λ_s|, and
 * the factor is below e^−16 where that exceeds 1e-6); the small decay vectors are exp'ed in fp64 and
 * rounded once; products with data are fp32 matmuls; the carried state is fp32 (D2).
 */
final class DjlSsd {
    private DjlSsd() {}

    /**
     * Longest chunk run at once: the Q² terms grow with Q while the per-chunk native calls shrink with
     * it; 128 was fastest for Q = 256 calls of the bench models (the chunked form is exact for any Q).
     */
    static final int MAX_INNER = 128;

    static Tensor run(NDManager m, SsdForm form, int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d,
                      Tensor dtBias, boolean softplus, Tensor state) {
        if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        OpDims.Ssd dims = OpDims.Ssd.of(x, dt, a, bm, cm, d, dtBias, state);
        int b = dims.b(), l = dims.l(), hh = dims.heads(), p = dims.p(), g = dims.g(), n = dims.n();
        if (l == 0 || b == 0) return Tensor.zeros(x.shape());
        int hpg = hh / g;

        // δ·A per (b, h, t) in fp64, and the layouts libtorch wants: heads and groups before tokens
        float[] dts = dt.f32(), as = a.f32(), dtb = dtBias == null ? null : dtBias.f32(), xs = x.f32();
        double[] dl = new double[b * hh * l];
        for (int bi = 0; bi < b; bi++)
            for (int t = 0; t < l; t++)
                for (int h = 0; h < hh; h++) {
                    double v = dts[(bi * l + t) * hh + h] + (dtb == null ? 0.0 : dtb[h]);
                    dl[(bi * hh + h) * l + t] = softplus ? Activations.softplus(v) : v;
                }
        NDArray xh = Nd.of(m, tokensLast(xs, b, l, hh, p), b, g, hpg, l, p);
        NDArray bh = Nd.of(m, tokensLast(bm.f32(), b, l, g, n), b, g, 1, l, n);
        NDArray ch = Nd.of(m, tokensLast(cm.f32(), b, l, g, n), b, g, 1, l, n);
        NDArray s = Nd.of(m, state.f32(), b, g, hpg, p, n);

        float[] y = new float[b * l * hh * p];
        int q = Math.min(form == SsdForm.RECURRENT ? MAX_INNER : Math.min(chunk, MAX_INNER), l);
        for (int t0 = 0; t0 < l; t0 += q) {
            int qn = Math.min(l, t0 + q) - t0;
            Decays dc = Decays.of(dl, as, b, hh, l, t0, qn);
            NDIndex idx = new NDIndex(":, :, :, {}:{}", t0, t0 + qn);
            NDArray xc = xh.get(idx), bc = bh.get(idx), cc = ch.get(idx);
            NDArray decay = Nd.of(m, dc.arg, b, g, hpg, qn, qn).exp();
            NDArray w = cc.matMul(bc.transpose(0, 1, 2, 4, 3)).mul(decay).mul(Nd.of(m, dc.delta, b, g, hpg, 1, qn));
            NDArray left = w.concat(cc.mul(Nd.of(m, dc.fromStart, b, g, hpg, qn, 1)), 4);     // (…, Q, Q + N)
            NDArray right = xc.concat(s.transpose(0, 1, 2, 4, 3), 3);                          // (…, Q + N, P)
            float[] yc = Nd.floats(left.matMul(right));                                        // (B, H, Q, P)
            for (int bi = 0; bi < b; bi++)
                for (int h = 0; h < hh; h++)
                    for (int i = 0; i < qn; i++)
                        System.arraycopy(yc, ((bi * hh + h) * qn + i) * p, y, ((bi * l + t0 + i) * hh + h) * p, p);
            NDArray xw = xc.mul(Nd.of(m, dc.toEnd, b, g, hpg, qn, 1));
            s = s.mul(Nd.of(m, dc.endDecay, b, g, hpg, 1, 1)).add(xw.transpose(0, 1, 2, 4, 3).matMul(bc));
        }
        if (d != null) {
            float[] ds = d.f32();
            for (int i = 0; i < y.length; i++) y[i] += xs[i] * ds[(i / p) % hh];
        }
        Nd.copyInto(s, state);
        return Tensor.of(y, x.shape());
    }

    /** (B, L, K, C) → (B, K, L, C): the token axis next to the channels for per-head matmuls. */
    static float[] tokensLast(float[] v, int b, int l, int k, int c) {
        float[] o = new float[v.length];
        for (int bi = 0; bi < b; bi++)
            for (int t = 0; t < l; t++)
                for (int j = 0; j < k; j++) System.arraycopy(v, ((bi * l + t) * k + j) * c, o, ((bi * k + j) * l + t) * c, c);
        return o;
    }

    /**
     * Decay factors of one chunk, per (b, h): arg (Q, Q) = Λ_l − Λ_s on and below the diagonal, −∞
     * above (exp'ed by libtorch); delta (Q) = δ_s; fromStart (Q) = exp(Λ_l); toEnd (Q) =
     * exp(Λ_end − Λ_s)·δ_s; endDecay = exp(Λ_end).
     */
    private record Decays(float[] arg, float[] delta, float[] fromStart, float[] toEnd, float[] endDecay) {
        static Decays of(double[] dl, float[] as, int b, int hh, int l, int t0, int qn) {
            int bh = b * hh;
            float[] arg = new float[bh * qn * qn], delta = new float[bh * qn], from = new float[bh * qn],
                    to = new float[bh * qn], end = new float[bh];
            double[] lam = new double[qn];
            for (int k = 0; k < bh; k++) {
                double av = as[k % hh], acc = 0.0;
                for (int i = 0; i < qn; i++) {
                    double di = dl[k * l + t0 + i];
                    acc += di * av;
                    lam[i] = acc;
                    delta[k * qn + i] = (float) di;
                    from[k * qn + i] = (float) Math.exp(acc);
                }
                double lend = lam[qn - 1];
                end[k] = (float) Math.exp(lend);
                for (int i = 0; i < qn; i++) {
                    to[k * qn + i] = (float) (Math.exp(lend - lam[i]) * dl[k * l + t0 + i]);
                    int row = (k * qn + i) * qn;
                    for (int j = 0; j <= i; j++) arg[row + j] = (float) (lam[i] - lam[j]);
                    for (int j = i + 1; j < qn; j++) arg[row + j] = Float.NEGATIVE_INFINITY;
                }
            }
            return new Decays(arg, delta, from, to, end);
        }
    }
}
