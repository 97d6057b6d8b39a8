package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * <p>Split of the work: the gate arithmetic (log-sigmoids, prefix sums, stabilizers, the exponents
 * of the decay matrix) is O(Q²) scalars per head and runs in fp64 Java loops; libtorch does the
 * matmuls and the Q×Q exp.
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
 * and rounded to fp32 before libtorch's exp (relative error of a factor ≤ 6e-8·|exponent|); the
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

        NDArray qs = Nd.of(m, heads(q.f32(), b, l, nh, dh, 1f, false), g, l, dh);
        NDArray ks = Nd.of(m, heads(k.f32(), b, l, nh, dh, (float) (1.0 / Math.sqrt(dh)), false), g, l, dh);
        NDArray vs = Nd.of(m, heads(v.f32(), b, l, nh, dh, 1f, true), g, l, w);
        float[] cn = new float[g * dh * w], cs = c.f32(), ns = n.f32(), ms = mm.f32();
        for (int gi = 0; gi < g; gi++)
            for (int i = 0; i < dh; i++) {
                System.arraycopy(cs, (gi * dh + i) * dh, cn, (gi * dh + i) * w, dh);
                cn[(gi * dh + i) * w + dh] = ns[gi * dh + i];
            }
        NDArray state = Nd.of(m, cn, g, dh, w);
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

        float[] out = new float[b * l * nh * dh], row = new float[dh];
        for (int t0 = 0; t0 < l; t0 += qlen) {
            int t1 = Math.min(l, t0 + qlen), qn = t1 - t0;
            Gates gt = Gates.of(lf, it, mPrev, l, t0, qn, g);
            NDIndex idx = new NDIndex(":, {}:{}", t0, t1);
            NDArray qc = qs.get(idx), kc = ks.get(idx), vc = vs.get(idx);
            NDArray sc = qc.matMul(kc.transpose(0, 2, 1)).mul(Nd.of(m, gt.dmLog, g, qn, qn).exp());
            NDArray left = sc.concat(qc.mul(Nd.of(m, gt.wt, g, qn, 1)), 2);            // (G, Q, Q + DH)
            float[] o = Nd.floats(left.matMul(vc.concat(state, 1)));                     // (G, Q, W)
            for (int gi = 0; gi < g; gi++) {
                int bi = gi / nh, h = gi % nh;
                for (int tau = 0; tau < qn; tau++) {
                    int oo = (gi * qn + tau) * w;
                    // denominator in fp64, then an fp32 scale of a row copy: same-index loop, vectorized
                    float inv = (float) (1.0 / (Math.max(Math.abs((double) o[oo + dh]), gt.floor[gi * qn + tau]) + eps));
                    System.arraycopy(o, oo, row, 0, dh);
                    for (int j = 0; j < dh; j++) row[j] *= inv;
                    System.arraycopy(row, 0, out, ((bi * l + t0 + tau) * nh + h) * dh, dh);
                }
            }
            NDArray kw = kc.mul(Nd.of(m, gt.ws, g, qn, 1));
            state = state.mul(Nd.of(m, gt.decay, g, 1, 1)).add(kw.transpose(0, 2, 1).matMul(vc));
        }
        float[] fin = Nd.floats(state);
        for (int gi = 0; gi < g; gi++) {
            ms[gi] = (float) mPrev[gi];
            for (int i = 0; i < dh; i++) {
                System.arraycopy(fin, (gi * dh + i) * w, cs, (gi * dh + i) * dh, dh);
                ns[gi * dh + i] = fin[(gi * dh + i) * w + dh];
            }
        }
        return Tensor.of(out, b, l, nh, dh);
    }

    /** (B, L, NH, DH) → (G, L, DH) scaled (no ones column), or (G, L, DH + 1) with a ones column. */
    private static float[] heads(float[] x, int b, int l, int nh, int dh, float scale, boolean ones) {
        int w = ones ? dh + 1 : dh;
        float[] o = new float[b * nh * l * w];
        for (int bi = 0; bi < b; bi++)
            for (int t = 0; t < l; t++)
                for (int h = 0; h < nh; h++) {
                    int dst = ((bi * nh + h) * l + t) * w;
                    System.arraycopy(x, ((bi * l + t) * nh + h) * dh, o, dst, dh);
                    if (ones) o[dst + dh] = 1f;
                }
        if (scale != 1f && !ones) for (int i = 0; i < o.length; i++) o[i] *= scale;   // one pass, vectorized
        return o;
    }

    /**
     * The fp64 gate arithmetic of one chunk for every head: dmLog (G, Q, Q) log of the decay matrix
     * (≤ 0 on and below the diagonal, −∞ above; libtorch exp's it, which is ~10x faster than Java's
     * Math.exp here), wt (G, Q)
     * weight of the incoming state, floor (G, Q) = exp(−m_τ) of the denominator, and the state
     * hand-over ws (G, Q), decay (G); mPrev is advanced to the chunk's final m (rounded to fp32).
     */
    private record Gates(float[] dmLog, float[] wt, double[] floor, float[] ws, float[] decay) {
        static Gates of(double[] lf, double[] it, double[] mPrev, int l, int t0, int qn, int g) {
            float[] dm = new float[g * qn * qn], wt = new float[g * qn], ws = new float[g * qn], decay = new float[g];
            double[] floor = new double[g * qn], bc = new double[qn], ic = new double[qn];
            for (int gi = 0; gi < g; gi++) {
                double acc = 0.0;
                for (int s = 0; s < qn; s++) {
                    acc += lf[gi * l + t0 + s];
                    bc[s] = acc;
                    ic[s] = it[gi * l + t0 + s];
                }
                double m0 = mPrev[gi];
                for (int tau = 0; tau < qn; tau++) {
                    double mt = bc[tau] + m0;                                   // −∞ for a fresh state
                    for (int s = 0; s <= tau; s++) mt = Math.max(mt, bc[tau] - bc[s] + ic[s]);
                    int row = (gi * qn + tau) * qn;
                    for (int s = 0; s <= tau; s++) dm[row + s] = (float) (bc[tau] - bc[s] + ic[s] - mt);
                    for (int s = tau + 1; s < qn; s++) dm[row + s] = Float.NEGATIVE_INFINITY;
                    wt[gi * qn + tau] = (float) Math.exp(bc[tau] + m0 - mt);
                    floor[gi * qn + tau] = Math.exp(-mt);
                }
                double gg = bc[qn - 1], mOut = gg + m0;
                for (int s = 0; s < qn; s++) mOut = Math.max(mOut, gg - bc[s] + ic[s]);
                decay[gi] = (float) Math.exp(gg + m0 - mOut);
                for (int s = 0; s < qn; s++) ws[gi * qn + s] = (float) Math.exp(gg - bc[s] + ic[s] - mOut);
                mPrev[gi] = (float) mOut;
            }
            return new Gates(dm, wt, floor, ws, decay);
        }
    }
}
