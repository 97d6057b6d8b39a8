package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.tensor.Tensor;

/**
 * mLSTM cell, chunkwise with carried state (spec ops §10.3), project convention D1 (k̂ = k/√DH),
 * all batch elements and heads at once; chunks run one after the other because each needs the
 * stabilized state of the previous one.
 *
 * <p>Glossary: B batch, L tokens, NH heads, DH head dim, Q tokens of the current chunk (τ rows,
 * σ columns of the intra-chunk matrices).
 *
 * <p>Forms: CHUNKWISE and RECURRENT use the given chunk (equal in exact arithmetic, §10.3; chunk 1
 * is step for step the recurrence of §10.1, but pays libtorch call overhead per token); PARALLEL is
 * the same formula with the whole call as one chunk (§10.2 with an incoming state).
 *
 * <p>Precision: gate arithmetic (log-sigmoids, their prefix sums, the stabilizers m, the
 * exponentials) and the final division are fp64 because prefix sums over a chunk reach hundreds and
 * an fp32 difference of two of them would lose ~1e-5 relative; the matmuls with q, k, v and the
 * states C, n are fp32 (D2). m is rounded to fp32 after every chunk like the stored state.
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

        NDArray qs = Nd.of(m, q).transpose(0, 2, 1, 3);                          // (B, NH, L, DH)
        NDArray ks = Nd.of(m, k).transpose(0, 2, 1, 3).mul(1.0 / Math.sqrt(dh));  // k̂
        NDArray vs = Nd.of(m, v).transpose(0, 2, 1, 3);
        NDArray lf = Nd.logsigmoid(Nd.f64(m, fg).transpose(0, 2, 1));            // (B, NH, L) fp64
        NDArray it = Nd.f64(m, ig).transpose(0, 2, 1);
        NDArray cs = Nd.of(m, c), ns = Nd.of(m, n).expandDims(3);                 // n as (B, NH, DH, 1)
        NDArray ms = Nd.f64(m, mm).expandDims(2);                                 // (B, NH, 1) fp64, −∞ allowed

        NDList hs = new NDList();
        for (int t0 = 0; t0 < l; t0 += qlen) {
            int t1 = Math.min(l, t0 + qlen), qn = t1 - t0;
            NDIndex idx = new NDIndex("..., {}:{}, :", t0, t1), gidx = new NDIndex("..., {}:{}", t0, t1);
            NDArray qc = qs.get(idx), kc = ks.get(idx), vc = vs.get(idx);
            NDArray bc = lf.get(gidx).cumSum(2), ic = it.get(gidx);                  // (B, NH, Q)

            NDArray logD = bc.expandDims(3).sub(bc.expandDims(2)).add(ic.expandDims(2));   // [τ, σ]
            logD = logD.add(DjlSsd.causalMask(m, qn));
            NDArray mt = NDArrays.maximum(bc.add(ms), logD.max(new int[] {3}));        // (B, NH, Q), finite
            NDArray wt = bc.add(ms).sub(mt).exp();                                     // 0 when m⁻ = −∞
            NDArray dm = logD.sub(mt.expandDims(3)).exp().toType(DataType.FLOAT32, false);
            NDArray sc = qc.matMul(kc.transpose(0, 1, 3, 2)).mul(dm);                 // (B, NH, Q, Q)
            NDArray num = sc.matMul(vc).toType(DataType.FLOAT64, false)
                    .add(qc.matMul(cs).toType(DataType.FLOAT64, false).mul(wt.expandDims(3)));
            NDArray den = sc.sum(new int[] {3}).toType(DataType.FLOAT64, false)
                    .add(qc.matMul(ns).squeeze(3).toType(DataType.FLOAT64, false).mul(wt));
            NDArray denom = NDArrays.maximum(den.abs(), mt.neg().exp()).add(eps);
            hs.add(num.div(denom.expandDims(3)).toType(DataType.FLOAT32, false));

            // state out (§10.3): a_σ = g − b_σ + ĩ_σ, m⁺ = max(g + m⁻, max_σ a_σ)
            NDArray gg = bc.get(new NDIndex("..., -1:"));                             // (B, NH, 1)
            NDArray as = gg.sub(bc).add(ic);
            NDArray mOut = NDArrays.maximum(gg.add(ms), as.max(new int[] {2}, true));
            NDArray decay = gg.add(ms).sub(mOut).exp().toType(DataType.FLOAT32, false).expandDims(3); // (B, NH, 1, 1)
            NDArray ws = as.sub(mOut).exp().toType(DataType.FLOAT32, false).expandDims(3);           // (B, NH, Q, 1)
            NDArray kw = kc.mul(ws);
            cs = cs.mul(decay).add(kw.transpose(0, 1, 3, 2).matMul(vc));
            ns = ns.mul(decay).add(kw.sum(new int[] {2}, true).transpose(0, 1, 3, 2));
            ms = mOut.toType(DataType.FLOAT32, false).toType(DataType.FLOAT64, false);
        }
        NDArray h = hs.size() == 1 ? hs.get(0) : NDArrays.concat(hs, 2);          // (B, NH, L, DH)
        Nd.copyInto(cs, c);
        Nd.copyInto(ns, n);
        Nd.copyInto(ms, mm);
        return Nd.toF32(h.transpose(0, 2, 1, 3), b, l, nh, dh);
    }
}
