package io.scanline.kernels.backend.reference;

import io.scanline.kernels.backend.Activations;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.tensor.Tensor;

/**
 * Reference mLSTM in its three forms (spec ops §10), project state convention D1: C and n are built
 * from k̂ = k/√DH; m may be −∞ (fresh state). Arithmetic in double; states rounded to fp32 after each
 * token (recurrent) or each chunk (chunkwise, parallel).
 */
final class RefMlstm {
    private RefMlstm() {}

    /** One (batch, head) problem viewed as flat arrays with strides, so the three forms share the indexing. */
    private static final class Head {
        final float[] q, k, v, ig, fg, c, n, m, h;
        final int l, nh, dh, bi, hi;
        final double scale;

        Head(float[] q, float[] k, float[] v, float[] ig, float[] fg, float[] c, float[] n, float[] m, float[] h,
             int l, int nh, int dh, int bi, int hi) {
            this.q = q; this.k = k; this.v = v; this.ig = ig; this.fg = fg; this.c = c; this.n = n; this.m = m;
            this.h = h; this.l = l; this.nh = nh; this.dh = dh; this.bi = bi; this.hi = hi;
            this.scale = 1.0 / Math.sqrt(dh);
        }

        int vec(int t) { return ((bi * l + t) * nh + hi) * dh; }   // q/k/v/h row of token t
        int gate(int t) { return (bi * l + t) * nh + hi; }
        int cOff() { return (bi * nh + hi) * dh * dh; }
        int nOff() { return (bi * nh + hi) * dh; }
        int mOff() { return bi * nh + hi; }
    }

    static Tensor run(io.scanline.kernels.backend.MlstmForm form, int chunk, Tensor q, Tensor k, Tensor v,
                      Tensor ig, Tensor fg, Tensor c, Tensor n, Tensor m, double eps) {
        OpDims.Mlstm dims = OpDims.Mlstm.of(q, k, v, ig, fg, c, n, m);
        int b = dims.b(), l = dims.l(), nh = dims.nh(), dh = dims.dh();
        float[] h = new float[q.numel()];
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < nh; hi++) {
                Head hd = new Head(q.f32(), k.f32(), v.f32(), ig.f32(), fg.f32(), c.f32(), n.f32(), m.f32(), h,
                        l, nh, dh, bi, hi);
                switch (form) {
                    case RECURRENT -> recurrent(hd, eps);
                    case CHUNKWISE -> {
                        if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
                        for (int t0 = 0; t0 < l; t0 += chunk) chunkwise(hd, t0, Math.min(l, t0 + chunk), eps);
                    }
                    case PARALLEL -> parallel(hd, eps);
                }
            }
        }
        return Tensor.of(h, b, l, nh, dh);
    }

    private static void recurrent(Head hd, double eps) {
        int dh = hd.dh, co = hd.cOff(), no = hd.nOff();
        double[] num = new double[dh];
        for (int t = 0; t < hd.l; t++) {
            int r = hd.vec(t);
            double lf = Activations.logsigmoid(hd.fg[hd.gate(t)]);
            double it = hd.ig[hd.gate(t)];
            double mPrev = hd.m[hd.mOff()];
            double mNew = Math.max(lf + mPrev, it);
            double fp = Math.exp(lf + mPrev - mNew), ip = Math.exp(it - mNew);
            java.util.Arrays.fill(num, 0.0);
            double den = 0.0;
            for (int i = 0; i < dh; i++) {
                double kh = hd.k[r + i] * hd.scale;
                double qi = hd.q[r + i];
                for (int j = 0; j < dh; j++) {
                    float cv = (float) (fp * hd.c[co + i * dh + j] + ip * kh * hd.v[r + j]);
                    hd.c[co + i * dh + j] = cv;
                    num[j] += qi * cv;
                }
                float nv = (float) (fp * hd.n[no + i] + ip * kh);
                hd.n[no + i] = nv;
                den += qi * nv;
            }
            float mf = (float) mNew;
            hd.m[hd.mOff()] = mf;
            double denom = Math.max(Math.abs(den), Math.exp(-mNew)) + eps;
            for (int j = 0; j < dh; j++) hd.h[r + j] = (float) (num[j] / denom);
        }
    }

    /** Tokens [t0, t1) as one chunk with the incoming state of hd (§10.3). */
    private static void chunkwise(Head hd, int t0, int t1, double eps) {
        int qn = t1 - t0, dh = hd.dh, co = hd.cOff(), no = hd.nOff();
        if (qn == 0) return;
        double mIn = hd.m[hd.mOff()];
        double[] bcum = new double[qn], itv = new double[qn];
        for (int s = 0; s < qn; s++) {
            bcum[s] = (s == 0 ? 0.0 : bcum[s - 1]) + Activations.logsigmoid(hd.fg[hd.gate(t0 + s)]);
            itv[s] = hd.ig[hd.gate(t0 + s)];
        }
        double[] num = new double[dh];
        for (int tau = 0; tau < qn; tau++) {
            int rq = hd.vec(t0 + tau);
            double mt = bcum[tau] + mIn;
            for (int s = 0; s <= tau; s++) mt = Math.max(mt, bcum[tau] - bcum[s] + itv[s]);
            double w = Math.exp(bcum[tau] + mIn - mt);
            double den = 0.0;
            java.util.Arrays.fill(num, 0.0);
            if (w != 0.0) {
                for (int i = 0; i < dh; i++) {
                    double qi = hd.q[rq + i];
                    den += w * qi * hd.n[no + i];
                    for (int j = 0; j < dh; j++) num[j] += w * qi * hd.c[co + i * dh + j];
                }
            }
            for (int s = 0; s <= tau; s++) {
                int rk = hd.vec(t0 + s);
                double qk = 0.0;
                for (int i = 0; i < dh; i++) qk += (double) hd.q[rq + i] * hd.k[rk + i];
                double wt = Math.exp(bcum[tau] - bcum[s] + itv[s] - mt) * qk * hd.scale;
                den += wt;
                for (int j = 0; j < dh; j++) num[j] += wt * hd.v[rk + j];
            }
            double denom = Math.max(Math.abs(den), Math.exp(-mt)) + eps;
            for (int j = 0; j < dh; j++) hd.h[rq + j] = (float) (num[j] / denom);
        }
        updateState(hd, t0, bcum, itv, mIn);
    }

    /** State after tokens [t0, t0+len) given prefix sums of log forget gates (§10.3 "state out"). */
    private static void updateState(Head hd, int t0, double[] bcum, double[] itv, double mIn) {
        int qn = bcum.length, dh = hd.dh, co = hd.cOff(), no = hd.nOff();
        double g = bcum[qn - 1];
        double mOut = g + mIn;
        double[] a = new double[qn];
        for (int s = 0; s < qn; s++) {
            a[s] = g - bcum[s] + itv[s];
            mOut = Math.max(mOut, a[s]);
        }
        double decay = Math.exp(g + mIn - mOut);
        double[] cNew = new double[dh * dh], nNew = new double[dh];
        for (int i = 0; i < dh * dh; i++) cNew[i] = decay == 0.0 ? 0.0 : decay * hd.c[co + i];
        for (int i = 0; i < dh; i++) nNew[i] = decay == 0.0 ? 0.0 : decay * hd.n[no + i];
        for (int s = 0; s < qn; s++) {
            int rk = hd.vec(t0 + s);
            double ws = Math.exp(a[s] - mOut);
            for (int i = 0; i < dh; i++) {
                double kh = ws * hd.k[rk + i] * hd.scale;
                nNew[i] += kh;
                for (int j = 0; j < dh; j++) cNew[i * dh + j] += kh * hd.v[rk + j];
            }
        }
        for (int i = 0; i < dh * dh; i++) hd.c[co + i] = (float) cNew[i];
        for (int i = 0; i < dh; i++) hd.n[no + i] = (float) nNew[i];
        hd.m[hd.mOff()] = (float) mOut;
    }

    /**
     * Parallel form (§10.2), written from the decay matrix F[t,j] = Σ_{s=j+1..t} lf_s (segment sums).
     * An incoming state enters as one extra column with log-weight F[t,−1] + m⁻ (F over all of 0..t),
     * which vanishes for the fresh state m⁻ = −∞; the final state uses the §10.3 formula.
     */
    private static void parallel(Head hd, double eps) {
        int l = hd.l, dh = hd.dh, co = hd.cOff(), no = hd.nOff();
        if (l == 0) return;
        double mIn = hd.m[hd.mOff()];
        double[] lf = new double[l], itv = new double[l];
        for (int s = 0; s < l; s++) {
            lf[s] = Activations.logsigmoid(hd.fg[hd.gate(s)]);
            itv[s] = hd.ig[hd.gate(s)];
        }
        double[] num = new double[dh];
        double[] logD = new double[l];
        for (int t = 0; t < l; t++) {
            int rq = hd.vec(t);
            double f = 0.0; // F[t, j] built from j = t downwards
            double mt = Double.NEGATIVE_INFINITY;
            for (int j = t; j >= 0; j--) {
                if (j < t) f += lf[j + 1];
                logD[j] = f + itv[j];
                mt = Math.max(mt, logD[j]);
            }
            double fAll = f + lf[0]; // Σ_{s=0..t} lf_s: decay of the incoming state
            double logState = fAll + mIn;
            mt = Math.max(mt, logState);
            double den = 0.0;
            java.util.Arrays.fill(num, 0.0);
            double ws = Math.exp(logState - mt);
            if (ws != 0.0) {
                for (int i = 0; i < dh; i++) {
                    double qi = hd.q[rq + i];
                    den += ws * qi * hd.n[no + i];
                    for (int j = 0; j < dh; j++) num[j] += ws * qi * hd.c[co + i * dh + j];
                }
            }
            for (int j = 0; j <= t; j++) {
                int rk = hd.vec(j);
                double qk = 0.0;
                for (int i = 0; i < dh; i++) qk += (double) hd.q[rq + i] * hd.k[rk + i];
                double w = qk * hd.scale * Math.exp(logD[j] - mt);
                den += w;
                for (int x = 0; x < dh; x++) num[x] += w * hd.v[rk + x];
            }
            double denom = Math.max(Math.abs(den), Math.exp(-mt)) + eps;
            for (int x = 0; x < dh; x++) hd.h[rq + x] = (float) (num[x] / denom);
        }
        double[] bcum = new double[l];
        for (int s = 0; s < l; s++) bcum[s] = (s == 0 ? 0.0 : bcum[s - 1]) + lf[s];
        updateState(hd, 0, bcum, itv, mIn);
    }
}
