package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDManager;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;

/**
 * Mamba-1 selective scan with initial state (spec ops §8.1).
 *
 * <p>Glossary: B batch, L tokens of this call, E channels, N state size, row = E contiguous floats of
 * one token (or of one state index n), x = δ·A (the decay exponent), p = exp(x) − 1.
 *
 * <p>Why not a chunked matmul form: A is a full (E, N) matrix, so the intra-chunk decay
 * exp(A[e,n]·(Δ_t − Δ_s)) is a (t, s, e, n) tensor and costs T times the sequential work, and the
 * product form exp(A·Δ_t)·exp(−A·Δ_s) overflows for the large Δ that real inputs contain.
 *
 * <p>Why no libtorch at all: the op is L·E·N exponentials plus a multiply-add recurrence. Handing
 * the exponentials to libtorch in 256 KiB blocks cost ~2.5 ns per element (broadcast multiply, exp
 * into a fresh tensor, copy back into Java rows), five native calls per block and ~15 more with
 * staging copies around them; the loops below take ~0.5-0.65 ns per decay (~0.9 ns per exp of the
 * softplus and the gate) as AVX2 code that C2 generates, and all that a token touches stays in L1.
 * So the op manager that the backend passes in goes unused. Two rules keep the loops SIMD on
 * JDK 17: every array of a loop is a whole row indexed by the loop variable alone (with offsets into
 * shared flat arrays C2 cannot rule out aliasing and leaves the loop scalar, measured 3.5x slower),
 * and a loop holds neither float/int bit reinterpretation nor much more work than one of the loops
 * below (C2 then gives up on the whole loop: a decay fused into the recurrence loop ran 5-6x
 * slower), hence separate decay, recurrence and exp loops. State and arithmetic are fp32 throughout
 * (D2); the accuracy of each exponential is given at its method.
 */
final class DjlSelectiveScan {
    private DjlSelectiveScan() {}

    // exp(x) = 2^k · e^r, k = round(x·log2 e), |r| <= ln2/2; ln 2 split so that k·LN2_HI is exact
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it rounds to an integer that then sits in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /** e^r − 1 − r ≈ r²·(E0 + r·(E1 + ...)) on |r| <= ln2/2, relative error ~1e-7 (Cephes expf). */
    private static final float E0 = 5.0000001201E-1f, E1 = 1.6666665459E-1f, E2 = 4.1665795894E-2f,
            E3 = 8.3334519073E-3f, E4 = 1.3981999507E-3f, E5 = 1.9875691500E-4f;
    /** Clamp of exp's argument: k stays in [−124, 127], so adding k to p's exponent bits stays normal. */
    private static final float EXP_MIN = -86f, EXP_MAX = 88f;

    /** Halvings of the decay exponent; the decay is rebuilt by as many doublings of p. */
    private static final int HALVINGS = 5;
    private static final float HALF_POW = 1f / (1 << HALVINGS);
    /** Lower clamp of the halved exponent (exp(−87) ~ 1.6e-38 already rounds 1 + p to 0). */
    private static final float DECAY_MIN = -87f * HALF_POW;
    private static final float T2 = 1f / 2, T3 = 1f / 6, T4 = 1f / 24, T5 = 1f / 120;

    static Tensor run(NDManager unused, Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                      Tensor deltaBias, boolean softplus, Tensor h) {
        OpDims.Scan dims = OpDims.Scan.of(u, delta, a, bm, cm, d, z, deltaBias, h);
        int b = dims.b(), l = dims.l(), e = dims.e(), n = dims.n();
        if (l == 0 || b == 0 || e == 0) return Tensor.zeros(b, l, e);

        float[] us = u.f32(), ds = delta.f32(), as = a.f32(), bs = bm.f32(), cs = cm.f32(), hs = h.f32();
        float[] zs = z == null ? null : z.f32();
        float[] bias = deltaBias == null ? null : deltaBias.f32(), dd = d == null ? null : d.f32();

        // A as rows (n) of E channels, once exact and once pre-scaled by 2^-HALVINGS (an exact scaling)
        float[][] at = new float[n][e], ah = new float[n][e];
        boolean aNonPos = true;
        float aMin = 0f;
        for (int ei = 0; ei < e; ei++)
            for (int ni = 0; ni < n; ni++) {
                float v = as[ei * n + ni];
                at[ni][ei] = v;
                ah[ni][ei] = v * HALF_POW;
                aNonPos &= v <= 0f;
                aMin = Math.min(aMin, v);
            }
        // tokens whose largest δ keeps every δ·A inside the polynomial's range skip the clamp
        float deltaNoClamp = aMin < 0f ? DECAY_MIN / (aMin * HALF_POW) : Float.POSITIVE_INFINITY;

        float[][] st = new float[n][e];
        float[] dr = new float[e], ur = new float[e], dur = new float[e], yr = new float[e];
        float[] pr = new float[e], tmp = new float[e], tmp2 = new float[e];
        float[] out = new float[b * l * e];
        for (int bi = 0; bi < b; bi++) {
            for (int ei = 0; ei < e; ei++)
                for (int ni = 0; ni < n; ni++) st[ni][ei] = hs[(bi * e + ei) * n + ni];
            for (int t = 0; t < l; t++) {
                int tok = bi * l + t, off = tok * e;
                System.arraycopy(ds, off, dr, 0, e);
                if (bias != null) add(dr, bias, e);
                if (softplus) softplus(dr, tmp, tmp2, e);
                System.arraycopy(us, off, ur, 0, e);
                mul(dr, ur, dur, e);
                Arrays.fill(yr, 0f);
                boolean decays = aNonPos && (softplus || nonNegative(dr, e));
                boolean clamp = max(dr, e) > deltaNoClamp;
                for (int ni = 0; ni < n; ni++) {
                    if (!decays) expm1Row(dr, at[ni], pr, tmp, e);
                    else if (clamp) decayRowClamped(dr, ah[ni], pr, e);
                    else decayRow(dr, ah[ni], pr, e);
                    step(pr, st[ni], dur, yr, bs[tok * n + ni], cs[tok * n + ni], e);
                }
                if (dd != null) fma(dd, ur, yr, e);
                if (zs != null) {
                    System.arraycopy(zs, off, tmp2, 0, e);
                    gateSilu(tmp2, yr, tmp, pr, e);
                }
                System.arraycopy(yr, 0, out, off, e);
            }
            for (int ei = 0; ei < e; ei++)
                for (int ni = 0; ni < n; ni++) hs[(bi * e + ei) * n + ni] = st[ni][ei];
        }
        return Tensor.of(out, b, l, e);
    }

    /**
     * h ← (1 + p)·h + δu·B[n], y += h·C[n] over one row; fma(p, h, h) is (1 + p)·h rounded once, so a
     * decay close to 1 keeps the low bits that 1 + p would round away.
     */
    private static void step(float[] p, float[] s, float[] du, float[] y, float bn, float cn, int len) {
        for (int i = 0; i < len; i++) {
            float hv = Math.fma(p[i], s[i], s[i]) + du[i] * bn;
            s[i] = hv;
            y[i] += hv * cn;
        }
    }

    /**
     * p = exp(δ·A) − 1 for −87 <= δ·A <= 0, from A pre-scaled by 2^-HALVINGS: a degree-5 Taylor
     * polynomial of e^x − 1 on |x| <= 87/32 (Estrin form: the loop is latency-bound), then HALVINGS
     * doublings p ← p·(p + 2) (= e^{2x} − 1). In the e^x − 1 form a doubling does not amplify the
     * relative error of p for x <= 0, and the polynomial's truncation error at large |x| is damped by
     * every doubling: the decay 1 + p is within 1.2e-7 of exp over [−87, 0] (fp32 rounding alone is
     * 3e-8), and the normwise error of the scan's output equals that of libtorch's exp (~3e-7 against
     * the reference, measured). No bit reinterpretation, so this loop is SIMD, unlike {@link #exp}; it
     * needs x <= 0 (doublings of a positive p amplify its error 2x each).
     */
    private static void decayRow(float[] dl, float[] aHalved, float[] p, int len) {
        for (int i = 0; i < len; i++) {
            p[i] = decay(dl[i] * aHalved[i]);
        }
    }

    /** e^{32x} − 1 of a halved exponent x (five doublings: HALVINGS = 5; see {@link #decayRow}); C2 inlines it into the SIMD loops. */
    private static float decay(float x) {
        float x2 = x * x;
        float v = Math.fma(Math.fma(x2, Math.fma(T5, x, T4), Math.fma(T3, x, T2)), x2, x);
        v = Math.fma(v, v, v + v);
        v = Math.fma(v, v, v + v);
        v = Math.fma(v, v, v + v);
        v = Math.fma(v, v, v + v);
        return Math.fma(v, v, v + v);
    }

    /**
     * {@link #decayRow} for tokens with δ·A < −87 somewhere: beyond −3.2·2^HALVINGS the polynomial
     * leaves [−2, 0] and the doublings diverge, so x is clamped (exp(−87) already rounds 1 + p to 0).
     * Java's max made the whole scan ~12% slower, hence two loops.
     */
    private static void decayRowClamped(float[] dl, float[] aHalved, float[] p, int len) {
        for (int i = 0; i < len; i++) {
            p[i] = decay(Math.max(dl[i] * aHalved[i], DECAY_MIN));
        }
    }

    /**
     * p = exp(δ·A) − 1 for any sign of δ·A (A with positive entries, or δ < 0 without softplus).
     * Growth keeps exp's relative accuracy; a decay is within 6e-8 of a unit state, as in
     * {@link #decayRow} (p near −1 cannot hold exp(δ·A) below that).
     */
    private static void expm1Row(float[] dl, float[] a, float[] p, float[] tmp, int len) {
        mul(dl, a, p, len);
        exp(p, p, tmp, len);
        for (int i = 0; i < len; i++) p[i] -= 1f;
    }

    /**
     * out = exp(x) (out may be x) with x clamped to [−86, 88], relative error ~1.5e-7. The polynomial
     * loop is SIMD; putting 2^k into the exponent field needs float/int reinterpretation, which C2 on
     * JDK 17 does not vectorize, so it runs as a second, scalar loop over the kept rounding sums.
     * Also the mLSTM's decay matrices use it ({@link DjlMlstm}).
     */
    static void exp(float[] x, float[] out, float[] tmp, int len) {
        for (int i = 0; i < len; i++) {
            float v = Math.min(Math.max(x[i], EXP_MIN), EXP_MAX);
            float t = Math.fma(v, LOG2E, ROUND);
            float k = t - ROUND;
            float r = Math.fma(k, -LN2_LO, Math.fma(k, -LN2_HI, v));
            float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(E5, r, E4), r, E3), r, E2), r, E1), r, E0);
            out[i] = Math.fma(q * r, r, r) + 1f;
            tmp[i] = t;
        }
        for (int i = 0; i < len; i++) {
            int k = Float.floatToRawIntBits(tmp[i]) - ROUND_BITS;
            out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(out[i]) + (k << 23));
        }
    }

    /**
     * In place: softplus(x) = max(x, 0) + log1p(exp(−|x|)), relative error a few ulp everywhere (the
     * threshold-20 linear branch of spec ops §3 differs from this by < 2e-9, below fp32 rounding of
     * x >= 20). log1p(w), w in (0, 1], as 2·atanh(w / (2 + w)): the odd series in s <= 1/3 reaches
     * fp32 accuracy after 7 terms, with no range reduction.
     */
    private static void softplus(float[] x, float[] w, float[] tmp, int len) {
        for (int i = 0; i < len; i++) w[i] = -Math.abs(x[i]);
        exp(w, w, tmp, len);
        for (int i = 0; i < len; i++) {
            float s = w[i] / (2f + w[i]);
            float s2 = s * s;
            float q = Math.fma(Math.fma(Math.fma(1f / 13, s2, 1f / 11), s2, 1f / 9), s2, 1f / 7);
            q = Math.fma(Math.fma(q, s2, 1f / 5), s2, 1f / 3);
            x[i] = Math.max(x[i], 0f) + Math.fma(2f * s * s2, q, 2f * s);
        }
    }

    /** y ← y·silu(z) = y·z / (1 + exp(−z)); z is overwritten. */
    private static void gateSilu(float[] z, float[] y, float[] tmp, float[] g, int len) {
        for (int i = 0; i < len; i++) g[i] = -z[i];
        exp(g, g, tmp, len);
        for (int i = 0; i < len; i++) y[i] = y[i] * (z[i] / (1f + g[i]));
    }

    private static void add(float[] x, float[] v, int len) {
        for (int i = 0; i < len; i++) x[i] += v[i];
    }

    private static void mul(float[] x, float[] v, float[] out, int len) {
        for (int i = 0; i < len; i++) out[i] = x[i] * v[i];
    }

    /** y += a·b */
    private static void fma(float[] a, float[] b, float[] y, int len) {
        for (int i = 0; i < len; i++) y[i] += a[i] * b[i];
    }

    /**
     * The largest element, ignoring NaN (a NaN δ gives NaN outputs on either decay path). A compare
     * and branch: Math.max's NaN and signed-zero rules made this reduction twice as slow.
     */
    private static float max(float[] x, int len) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) if (x[i] > m) m = x[i];
        return m;
    }

    private static boolean nonNegative(float[] x, int len) {
        for (int i = 0; i < len; i++) if (!(x[i] >= 0f)) return false;
        return true;
    }
}
