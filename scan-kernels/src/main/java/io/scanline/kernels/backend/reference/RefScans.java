package io.scanline.kernels.backend.reference;

import io.scanline.kernels.backend.Activations;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/**
 * Reference causal conv1d, Mamba-1 selective scan and Mamba-2 SSD (spec ops §7.1, §8.1, §9).
 *
 * <p>Per-token arithmetic is done in double and the carried state is rounded to fp32 after every
 * token (recurrent forms) or every chunk (SSD chunked form). Because the per-token arithmetic of the
 * recurrent forms never depends on where a call starts, a chunked run equals the whole run bit for bit.
 */
final class RefScans {
    private RefScans() {}

    static Tensor causalConv1d(Tensor x, Tensor w, Tensor bias, Tensor tail, boolean silu) {
        Shapes.requireRank(x, "x", 3);
        int b = x.dim(0), l = x.dim(1), c = x.dim(2);
        Shapes.require(w, "w", c, -1);
        int k = w.dim(1);
        Shapes.requireOptional(bias, "bias", c);
        Shapes.require(tail, "tail", b, k - 1, c);
        float[] xs = x.f32(), ws = w.f32(), ts = tail.f32();
        float[] bs = bias == null ? null : bias.f32();
        float[] out = new float[b * l * c];
        int tl = k - 1;
        for (int bi = 0; bi < b; bi++) {
            for (int t = 0; t < l; t++) {
                for (int ch = 0; ch < c; ch++) {
                    double acc = bs == null ? 0.0 : bs[ch];
                    for (int j = 0; j < k; j++) {
                        int row = t + j; // row of concat(tail, x)
                        double v = row < tl ? ts[(bi * tl + row) * c + ch] : xs[(bi * l + row - tl) * c + ch];
                        acc += ws[ch * k + j] * v;
                    }
                    out[(bi * l + t) * c + ch] = (float) (silu ? Activations.silu(acc) : acc);
                }
            }
            // new tail = last K-1 rows of concat(tail, x)
            float[] nt = new float[tl * c];
            for (int r = 0; r < tl; r++) {
                int row = l + r; // index into concat, which has tl + l rows; last tl rows start at l
                for (int ch = 0; ch < c; ch++) {
                    nt[r * c + ch] = row < tl ? ts[(bi * tl + row) * c + ch] : xs[(bi * l + row - tl) * c + ch];
                }
            }
            System.arraycopy(nt, 0, ts, bi * tl * c, tl * c);
        }
        return Tensor.of(out, b, l, c);
    }

    static Tensor selectiveScan(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                                Tensor deltaBias, boolean softplus, Tensor h) {
        OpDims.Scan dims = OpDims.Scan.of(u, delta, a, bm, cm, d, z, deltaBias, h);
        int b = dims.b(), l = dims.l(), e = dims.e(), n = dims.n();
        float[] us = u.f32(), ds = delta.f32(), as = a.f32(), bs = bm.f32(), cs = cm.f32(), hs = h.f32();
        float[] dd = d == null ? null : d.f32(), zs = z == null ? null : z.f32();
        float[] db = deltaBias == null ? null : deltaBias.f32();
        float[] out = new float[b * l * e];
        for (int bi = 0; bi < b; bi++) {
            for (int t = 0; t < l; t++) {
                int tok = bi * l + t;
                for (int ch = 0; ch < e; ch++) {
                    double dl = ds[tok * e + ch] + (db == null ? 0.0 : db[ch]);
                    if (softplus) dl = Activations.softplus(dl);
                    double uu = us[tok * e + ch];
                    double y = 0.0;
                    int hb = (bi * e + ch) * n;
                    for (int s = 0; s < n; s++) {
                        float hn = (float) (Math.exp(dl * as[ch * n + s]) * hs[hb + s] + dl * bs[tok * n + s] * uu);
                        hs[hb + s] = hn;
                        y += hn * (double) cs[tok * n + s];
                    }
                    if (dd != null) y += dd[ch] * uu;
                    if (zs != null) y *= Activations.silu(zs[tok * e + ch]);
                    out[tok * e + ch] = (float) y;
                }
            }
        }
        return Tensor.of(out, b, l, e);
    }

    private static double ssdDelta(float[] dts, float[] dtb, boolean softplus, int idx, int head) {
        double dl = dts[idx] + (dtb == null ? 0.0 : dtb[head]);
        return softplus ? Activations.softplus(dl) : dl;
    }

    static Tensor ssdRecurrent(Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor dtBias,
                               boolean softplus, Tensor state) {
        OpDims.Ssd s = OpDims.Ssd.of(x, dt, a, bm, cm, d, dtBias, state);
        float[] xs = x.f32(), dts = dt.f32(), as = a.f32(), bs = bm.f32(), cs = cm.f32(), st = state.f32();
        float[] dd = d == null ? null : d.f32(), dtb = dtBias == null ? null : dtBias.f32();
        int hh = s.heads(), p = s.p(), n = s.n(), g = s.g();
        float[] y = new float[x.numel()];
        for (int bi = 0; bi < s.b(); bi++) {
            for (int t = 0; t < s.l(); t++) {
                int tok = bi * s.l() + t;
                for (int h = 0; h < hh; h++) {
                    double dl = ssdDelta(dts, dtb, softplus, tok * hh + h, h);
                    double da = Math.exp(dl * as[h]);
                    int grp = h / (hh / g);
                    int bOff = (tok * g + grp) * n;
                    for (int pi = 0; pi < p; pi++) {
                        double xv = xs[(tok * hh + h) * p + pi];
                        int so = ((bi * hh + h) * p + pi) * n;
                        double acc = 0.0;
                        for (int ni = 0; ni < n; ni++) {
                            float sv = (float) (da * st[so + ni] + dl * xv * bs[bOff + ni]);
                            st[so + ni] = sv;
                            acc += sv * (double) cs[bOff + ni];
                        }
                        if (dd != null) acc += dd[h] * xv;
                        y[(tok * hh + h) * p + pi] = (float) acc;
                    }
                }
            }
        }
        return Tensor.of(y, x.shape());
    }

    static Tensor ssdChunked(int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor dtBias,
                             boolean softplus, Tensor state) {
        if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        OpDims.Ssd s = OpDims.Ssd.of(x, dt, a, bm, cm, d, dtBias, state);
        float[] xs = x.f32(), dts = dt.f32(), as = a.f32(), bs = bm.f32(), cs = cm.f32(), st = state.f32();
        float[] dd = d == null ? null : d.f32(), dtb = dtBias == null ? null : dtBias.f32();
        int hh = s.heads(), p = s.p(), n = s.n(), g = s.g();
        float[] y = new float[x.numel()];
        for (int bi = 0; bi < s.b(); bi++) {
            for (int c0 = 0; c0 < s.l(); c0 += chunk) {
                int q = Math.min(chunk, s.l() - c0);
                for (int h = 0; h < hh; h++) {
                    int grp = h / (hh / g);
                    double[] dl = new double[q], av = new double[q], cum = new double[q];
                    for (int i = 0; i < q; i++) {
                        dl[i] = ssdDelta(dts, dtb, softplus, (bi * s.l() + c0 + i) * hh + h, h);
                        av[i] = dl[i] * as[h];
                        cum[i] = (i == 0 ? 0.0 : cum[i - 1]) + av[i];
                    }
                    // w[l][s] = (C_l·B_s)·exp(segsum(l,s))·δ_s, segsum from a running sum (not prefix differences)
                    double[][] w = new double[q][];
                    for (int li = 0; li < q; li++) {
                        w[li] = new double[li + 1];
                        int cOff = ((bi * s.l() + c0 + li) * g + grp) * n;
                        double seg = 0.0;
                        for (int si = li; si >= 0; si--) {
                            if (si < li) seg += av[si + 1];
                            int bOff = ((bi * s.l() + c0 + si) * g + grp) * n;
                            double cb = 0.0;
                            for (int ni = 0; ni < n; ni++) cb += (double) cs[cOff + ni] * bs[bOff + ni];
                            w[li][si] = cb * Math.exp(seg) * dl[si];
                        }
                    }
                    // decay from token s to the chunk end: exp(Σ_{r=s+1..q-1} a_r)
                    double[] toEnd = new double[q];
                    double seg = 0.0;
                    for (int si = q - 1; si >= 0; si--) {
                        toEnd[si] = Math.exp(seg);
                        seg += av[si];
                    }
                    double total = Math.exp(seg); // exp(Λ_{q-1})
                    for (int pi = 0; pi < p; pi++) {
                        int so = ((bi * hh + h) * p + pi) * n;
                        for (int li = 0; li < q; li++) {
                            int tok = bi * s.l() + c0 + li;
                            int cOff = (tok * g + grp) * n;
                            double acc = 0.0;
                            for (int si = 0; si <= li; si++) acc += w[li][si] * xs[((bi * s.l() + c0 + si) * hh + h) * p + pi];
                            double fromState = 0.0;
                            for (int ni = 0; ni < n; ni++) fromState += (double) st[so + ni] * cs[cOff + ni];
                            double xv = xs[(tok * hh + h) * p + pi];
                            acc += Math.exp(cum[li]) * fromState + (dd == null ? 0.0 : dd[h] * xv);
                            y[(tok * hh + h) * p + pi] = (float) acc;
                        }
                        for (int ni = 0; ni < n; ni++) {
                            double acc = total * st[so + ni];
                            for (int si = 0; si < q; si++) {
                                int tok = bi * s.l() + c0 + si;
                                acc += toEnd[si] * dl[si] * xs[(tok * hh + h) * p + pi] * bs[(tok * g + grp) * n + ni];
                            }
                            st[so + ni] = (float) acc;
                        }
                    }
                }
            }
        }
        return Tensor.of(y, x.shape());
    }
}
