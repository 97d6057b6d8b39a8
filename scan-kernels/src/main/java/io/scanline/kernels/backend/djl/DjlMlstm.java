package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.scanline.kernels.backend.Activations;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.tensor.Tensor;

/**
 * mLSTM cell, chunkwise with carried state (spec ops §10.3), project convention D1 (k̂ = k/√DH);
 * chunks run one after the other because each needs the stabilized state of the previous one.
 *
 * <p>Glossary: B batch, L tokens, NH heads, DH head dim, G = B·NH independent heads, W = DH + 1,
 * Q tokens of the current chunk (τ rows, σ columns of the intra-chunk matrices).
 *
 * <p>Split of the work: the gate arithmetic (log-sigmoids, prefix sums, stabilizers, the decay
 * matrix) runs in Java loops (fp64 scalars, the Q×Q exp in fp32 SIMD); libtorch does the matmuls.
 * Per chunk that is one fused matmul for numerator and denominator, [S | q·w] · [[v | 1]; [C | n]],
 * and one for the state, C|n ← decay·(C|n) + (k̂·ws)ᵀ · [v | 1]: carrying C and n side by side as
 * (DH, W) lets the ones column of v produce the n terms. About ten native calls per chunk instead of
 * fifty, which were what the op cost at these sizes.
 *
 * <p>Forms: CHUNKWISE and RECURRENT use the given chunk (equal in exact arithmetic, §10.3);
 * PARALLEL is the same formula with the whole call as one chunk (§10.2 with an incoming state).
 *
 * <p>Precision: gate arithmetic and the denominators are fp64 (prefix sums over a chunk reach
 * hundreds; an fp32 difference of two would lose ~1e-5 relative); a denominator's reciprocal, rounded
 * to fp32, scales the fp32 numerator row; the exponents of the Q×Q decay matrix are formed in fp64
 * and rounded to fp32 before the exp (relative error of a factor ≤ 6e-8·|exponent| + 1.5e-7;
 * exponents below −86 give e^−86 instead of a smaller value, 4e-38 absolute); the
 * other decay factors are exp'ed in fp64 and rounded once; the matmuls and the states C, n are fp32
 * (D2); m is rounded to fp32 after every chunk like the stored state.
 */
final class DjlMlstm {
    private DjlMlstm() {}

    static Tensor run(NDManager m, MlstmForm form, int chunk, Tensor q, Tensor k, Tensor v, Tensor ig, Tensor fg,
                      Tensor c, Tensor n, Tensor mm, double eps) {
        OpDims.Mlstm dims = OpDims.Mlstm.of(q, k, v, ig, fg, c, n, mm);
        int b = dims.b(), l = dims.l(), nh = dims.nh(), dh = dims.dh();
        if (form != MlstmForm.PARALLEL && chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        int qlen = form == MlstmForm.PARALLEL ? Math.max(1, l) : chunk;
        if (l == 0 || b == 0 || nh == 0) return Tensor.zeros(b, l, nh, dh);
        int g = b * nh, w = dh + 1;

        // as many chunks as the given length asks for, balanced: 196 tokens at chunk 64 run as 4 x 49,
        // not 4 x 64 with a quarter of padding (equal in exact arithmetic, ops §10.3)
        int nc = (l + Math.min(qlen, l) - 1) / Math.min(qlen, l), qc = (l + nc - 1) / nc, lp = nc * qc;
        NDArray qs = Nd.of(m, heads(q.f32(), b, l, lp, nh, dh, 1f, false), g, nc, qc, dh);
        NDArray ks = Nd.of(m, heads(k.f32(), b, l, lp, nh, dh, (float) (1.0 / Math.sqrt(dh)), false), g, nc, qc, dh);
        NDArray vs = Nd.of(m, heads(v.f32(), b, l, lp, nh, dh, 1f, true), g, nc, qc, w);
        float[] cs = c.f32(), ns = n.f32(), ms = mm.f32();
        float[][] cur = new float[g][dh * w];                                     // C | n per head
        for (int gi = 0; gi < g; gi++)
            for (int i = 0; i < dh; i++) {
                System.arraycopy(cs, (gi * dh + i) * dh, cur[gi], i * w, dh);
                cur[gi][i * w + dh] = ns[gi * dh + i];
            }
        double[] mPrev = new double[g], lf = new double[g * l], it = new double[g * l];
        float[] igs = ig.f32(), fgs = fg.f32();
        for (int gi = 0; gi < g; gi++) {
            mPrev[gi] = ms[gi];
            int bi = gi / nh, h = gi % nh;
            for (int t = 0; t < l; t++) {
                lf[gi * l + t] = Activations.logsigmoid(fgs[(bi * l + t) * nh + h]);
                it[gi * l + t] = igs[(bi * l + t) * nh + h];
            }
        }
        Gates gt = Gates.of(lf, it, mPrev, l, qc, nc, g);

        // every chunk's own terms at once; only the chunk-start states are sequential (Java, below)
        NDArray sc = qs.matMul(ks.transpose(0, 1, 3, 2)).mul(Nd.of(m, gt.dm, g, nc, qc, qc));
        NDArray upd = ks.mul(Nd.of(m, gt.ws, g, nc, qc, 1)).transpose(0, 1, 3, 2).matMul(vs);   // (G, nc, DH, W)
        int sw = dh * w;
        float[] u = Nd.floats(upd), starts = new float[g * nc * sw], tmp = new float[sw];
        for (int gi = 0; gi < g; gi++) {
            float[] cg = cur[gi];
            for (int ci = 0; ci < nc; ci++) {
                System.arraycopy(cg, 0, starts, (gi * nc + ci) * sw, sw);
                System.arraycopy(u, (gi * nc + ci) * sw, tmp, 0, sw);
                float d = gt.decay[gi * nc + ci];
                for (int i = 0; i < sw; i++) cg[i] = cg[i] * d + tmp[i];
            }
        }
        NDArray inter = qs.mul(Nd.of(m, gt.wt, g, nc, qc, 1)).matMul(Nd.of(m, starts, g, nc, dh, w));
        float[] o = Nd.floats(sc.matMul(vs).add(inter));                            // (G, nc·Q, W)

        float[] out = new float[b * l * nh * dh], row = new float[dh];
        for (int gi = 0; gi < g; gi++) {
            int bi = gi / nh, h = gi % nh;
            for (int t = 0; t < l; t++) {
                int oo = (gi * lp + t) * w;
                // denominator in fp64, then an fp32 scale of a row copy: same-index loop, vectorized
                float inv = (float) (1.0 / (Math.max(Math.abs((double) o[oo + dh]), gt.floor[gi * lp + t]) + eps));
                System.arraycopy(o, oo, row, 0, dh);
                for (int j = 0; j < dh; j++) row[j] *= inv;
                System.arraycopy(row, 0, out, ((bi * l + t) * nh + h) * dh, dh);
            }
        }
        for (int gi = 0; gi < g; gi++) {
            ms[gi] = (float) mPrev[gi];
            for (int i = 0; i < dh; i++) {
                System.arraycopy(cur[gi], i * w, cs, (gi * dh + i) * dh, dh);
                ns[gi * dh + i] = cur[gi][i * w + dh];
            }
        }
        return Tensor.of(out, b, l, nh, dh);
    }

    /** (B, L, NH, DH) → (G, Lp, DH) scaled (no ones column), or (G, Lp, DH + 1) with a ones column; rows ≥ L zero. */
    private static float[] heads(float[] x, int b, int l, int lp, int nh, int dh, float scale, boolean ones) {
        int w = ones ? dh + 1 : dh;
        float[] o = new float[b * nh * lp * w];
        for (int bi = 0; bi < b; bi++)
            for (int t = 0; t < l; t++)
                for (int h = 0; h < nh; h++) {
                    int dst = ((bi * nh + h) * lp + t) * w;
                    System.arraycopy(x, ((bi * l + t) * nh + h) * dh, o, dst, dh);
                    if (ones) o[dst + dh] = 1f;
                }
        if (scale != 1f && !ones) for (int i = 0; i < o.length; i++) o[i] *= scale;   // one pass, vectorized
        return o;
    }

    /**
     * The fp64 gate arithmetic of every chunk and head, in the padded layout (G, nc, Q, …): dm
     * (G, nc, Q, Q) the decay matrix (exp of an fp64 exponent ≤ 0 rounded to fp32, on and below the
     * diagonal; 0 above and in padding; the exp is the SIMD Java one of {@link DjlSelectiveScan}:
     * libtorch's exp of a masked (−∞) matrix ran at 2.6-8 ns per element), wt (G, nc, Q) weight of the chunk's
     * incoming state, floor (G, nc, Q) = exp(−m_τ) of the denominator, and the state hand-over ws
     * (G, nc, Q) (0 in padding) and decay (G, nc); mPrev ends at the last chunk's m, every chunk's m
     * rounded to fp32 like the stored state.
     *
     * <p>With b_τ the chunk's prefix sum of log forget gates and g_s = i_s − b_s, every term is
     * b_τ − b_s + i_s − m_τ = g_s − M_τ with m_τ = b_τ + M_τ and M_τ = max(m0, max_{s≤τ} g_s): a running
     * maximum, so the stabilizers cost O(Q) per chunk and the Q×Q fill is one subtraction per entry.
     */
    private record Gates(float[] dm, float[] wt, double[] floor, float[] ws, float[] decay) {
        static Gates of(double[] lf, double[] it, double[] mPrev, int l, int q, int nc, int g) {
            float[] dm = new float[g * nc * q * q], wt = new float[g * nc * q], ws = new float[g * nc * q], decay = new float[g * nc];
            double[] floor = new double[g * nc * q], bc = new double[q], gs = new double[q];
            float[] arg = new float[q], ex = new float[q], tmp = new float[q];
            java.util.Arrays.fill(floor, 1.0);
            for (int gi = 0; gi < g; gi++) {
                for (int ci = 0; ci < nc; ci++) {
                    int t0 = ci * q, qn = Math.min(q, l - t0), k = gi * nc + ci;
                    double acc = 0.0, m0 = mPrev[gi], run = m0;             // run = M_τ (−∞ for a fresh state)
                    for (int s = 0; s < qn; s++) {
                        acc += lf[gi * l + t0 + s];
                        bc[s] = acc;
                        gs[s] = it[gi * l + t0 + s] - acc;
                    }
                    for (int tau = 0; tau < qn; tau++) {
                        run = Math.max(run, gs[tau]);
                        int row = (k * q + tau) * q;
                        for (int s = 0; s <= tau; s++) arg[s] = (float) (gs[s] - run);
                        DjlSelectiveScan.exp(arg, ex, tmp, tau + 1);
                        System.arraycopy(ex, 0, dm, row, tau + 1);
                        wt[k * q + tau] = (float) Math.exp(m0 - run);
                        floor[k * q + tau] = Math.exp(-(bc[tau] + run));
                    }
                    double gg = bc[qn - 1], mOut = gg + run;               // run = max(m0, max_s g_s) here
                    decay[k] = (float) Math.exp(m0 - run);
                    for (int s = 0; s < qn; s++) ws[k * q + s] = (float) Math.exp(gs[s] - run);
                    mPrev[gi] = (float) mOut;
                }
            }
            return new Gates(dm, wt, floor, ws, decay);
        }
    }
}
