package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.tensor.Tensor;

/**
 * Mamba-2 SSD in the chunked form with an incoming state (spec ops §9.2), all chunks of a segment at
 * once: intra-chunk outputs as masked (Q × Q) matmuls, chunk-local states as one matmul, the state
 * hand-over between chunks as a (nc+1)² decay matrix applied by a matmul.
 *
 * <p>Glossary: B batch, L tokens, H heads = G groups × hpg heads per group, P head dim, N state size,
 * Q chunk length, nc chunks in a segment. Heads are viewed as (G, hpg) so B and C (per group)
 * broadcast over the heads of their group without copies.
 *
 * <p>Precision: δ, the log-decays and their prefix sums are fp64 (short prefix differences in fp64 are
 * as good as the segment sums the spec asks for), each decay factor is rounded once to fp32; all
 * products with data are fp32 matmuls; the carried state is fp32 (D2).
 */
final class DjlSsd {
    private DjlSsd() {}

    /** Chunks per segment: bounds the (nc+1)² hand-over matrix and the Q² tiles in memory. */
    private static final int MAX_CHUNKS = 64;

    static Tensor run(NDManager m, int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d,
                      Tensor dtBias, boolean softplus, Tensor state) {
        if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        OpDims.Ssd dims = OpDims.Ssd.of(x, dt, a, bm, cm, d, dtBias, state);
        int b = dims.b(), l = dims.l(), hh = dims.heads(), p = dims.p(), g = dims.g(), n = dims.n();
        if (l == 0 || b == 0) return Tensor.zeros(x.shape());
        int hpg = hh / g;

        NDArray xs = Nd.of(m, x), bs = Nd.of(m, bm), cs = Nd.of(m, cm);
        NDArray dl = Nd.f64(m, dt);
        if (dtBias != null) dl = dl.add(Nd.f64(m, dtBias));
        if (softplus) dl = Nd.softplus(dl);                                      // (B, L, H) fp64
        NDArray av = Nd.f64(m, a).reshape(1, g, hpg, 1, 1);
        NDArray s = Nd.of(m, state).reshape(b, g, hpg, p, n);

        int q = Math.min(chunk, l);
        int seg = q * MAX_CHUNKS;
        NDList ys = new NDList();
        for (int t0 = 0; t0 < l; t0 += seg) {
            int t1 = Math.min(l, t0 + seg);
            NDIndex idx = new NDIndex(":, {}:{}", t0, t1);
            NDArray[] r = segment(m, xs.get(idx), dl.get(idx), av, bs.get(idx), cs.get(idx), s, q, g, hpg, p, n);
            ys.add(r[0]);
            s = r[1];
        }
        NDArray y = ys.size() == 1 ? ys.get(0) : NDArrays.concat(ys, 1);          // (B, L, H, P)
        if (d != null) y = y.add(xs.mul(Nd.of(m, d).reshape(hh, 1)));
        Nd.copyInto(s, state);
        return Nd.toF32(y, x.shape());
    }

    /** One segment of ls tokens; returns {y (B, ls, H, P), final state (B, G, hpg, P, N)}. */
    private static NDArray[] segment(NDManager m, NDArray x, NDArray dl, NDArray av, NDArray bm, NDArray cm,
                                     NDArray s0, int q, int g, int hpg, int p, int n) {
        int b = (int) x.getShape().get(0), ls = (int) x.getShape().get(1), hh = g * hpg;
        int nc = (ls + q - 1) / q, lp = nc * q, pad = lp - ls;
        if (pad > 0) {   // δ = 0, x = B = C = 0 after the end: decay 1 and no input, so the state is unchanged
            x = x.concat(m.zeros(Nd.shape(b, pad, hh, p)), 1);
            dl = dl.concat(m.zeros(Nd.shape(b, pad, hh), DataType.FLOAT64), 1);
            bm = bm.concat(m.zeros(Nd.shape(b, pad, g, n)), 1);
            cm = cm.concat(m.zeros(Nd.shape(b, pad, g, n)), 1);
        }
        NDArray x6 = x.reshape(b, nc, q, g, hpg, p).transpose(0, 3, 4, 1, 2, 5);    // (B, G, hpg, nc, Q, P)
        NDArray d5 = dl.reshape(b, nc, q, g, hpg).transpose(0, 3, 4, 1, 2);         // (B, G, hpg, nc, Q) fp64
        NDArray b6 = bm.reshape(b, nc, q, g, n).transpose(0, 3, 1, 2, 4).expandDims(2); // (B, G, 1, nc, Q, N)
        NDArray c6 = cm.reshape(b, nc, q, g, n).transpose(0, 3, 1, 2, 4).expandDims(2);

        NDArray lam = d5.mul(av).cumSum(4);                                          // Λ_l, fp64
        NDArray diff = lam.expandDims(5).sub(lam.expandDims(4));                     // Λ_l − Λ_s
        NDArray decay = diff.add(causalMask(m, q)).exp()
                .toType(DataType.FLOAT32, false);                                    // (…, Q_l, Q_s)
        NDArray d5f = d5.toType(DataType.FLOAT32, false);
        NDArray w = c6.matMul(b6.transpose(0, 1, 2, 3, 5, 4)).mul(decay).mul(d5f.expandDims(4));
        NDArray yDiag = w.matMul(x6);                                                // (B, G, hpg, nc, Q, P)

        NDArray lamEnd = lam.get(new NDIndex("..., -1"));                            // (B, G, hpg, nc)
        NDArray toEnd = lamEnd.expandDims(4).sub(lam).exp().toType(DataType.FLOAT32, false).mul(d5f);
        NDArray sLoc = x6.mul(toEnd.expandDims(5)).transpose(0, 1, 2, 3, 5, 4).matMul(b6); // (…, nc, P, N)

        // hand-over: S_in[i] = Σ_{j≤i} exp(Z_i − Z_j)·[S0, S_loc…][j], Z = prefix sums of chunk decays
        NDArray z = m.zeros(Nd.shape(b, g, hpg, 1), DataType.FLOAT64).concat(lamEnd.cumSum(3), 3); // (…, nc+1)
        NDArray zd = z.expandDims(4).sub(z.expandDims(3));
        NDArray hand = zd.add(causalMask(m, nc + 1)).exp()
                .toType(DataType.FLOAT32, false);                                    // (…, nc+1, nc+1)
        NDArray all = s0.expandDims(3).concat(sLoc, 3).reshape(b, g, hpg, nc + 1, p * n);
        NDArray sIn = hand.matMul(all).reshape(b, g, hpg, nc + 1, p, n);
        NDArray sStart = sIn.get(new NDIndex(":, :, :, :{}", nc));                  // (…, nc, P, N)
        NDArray sFinal = sIn.get(new NDIndex(":, :, :, {}", nc));                    // (B, G, hpg, P, N)

        NDArray yOff = c6.matMul(sStart.transpose(0, 1, 2, 3, 5, 4))                // (…, nc, Q, P)
                .mul(lam.exp().toType(DataType.FLOAT32, false).expandDims(5));
        NDArray y = yDiag.add(yOff).transpose(0, 3, 4, 1, 2, 5).reshape(b, lp, hh, p);
        if (pad > 0) y = y.get(new NDIndex(":, :{}", ls));
        return new NDArray[] {y, sFinal};
    }

    /**
     * (k, k) fp64 log-mask: 0 on and below the diagonal (s ≤ l), −∞ above, added to finite log-decays
     * before exp (torch.where through DJL does not broadcast).
     */
    static NDArray causalMask(NDManager m, int k) {
        double[] v = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++) v[i * k + j] = Double.NEGATIVE_INFINITY;
        return m.create(v, Nd.shape(k, k));
    }
}
