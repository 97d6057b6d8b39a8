package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.scanline.kernels.backend.djl.DjlTestSupport.close;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The djl selective scan's own exponentials, element by element against the reference, and the
 * paths that the Mamba-shaped conformance inputs never take: δ·A below −87 (clamped decay), positive
 * δ·A (A with positive entries, or negative δ without softplus).
 *
 * <p>Glossary: single-channel probes use N = 1, u = B = C = 1 and a zero initial state, so one token's
 * output is exactly δ (softplus probe), δ·silu(z) (gate probe) or, for a second token with u = 0,
 * exp(δ·A) (decay probe).
 */
class DjlSelectiveScanTest {
    static final double TOL = 1e-5;
    static Backend djl;
    static final Backend REF = new ReferenceBackend();
    final RandomTensors r = new RandomTensors(41);

    @BeforeAll
    static void open() { djl = DjlTestSupport.open(); }

    @AfterAll
    static void shut() { djl.close(); }

    private static Tensor full(float v, int... shape) { return Tensor.full(v, shape); }

    private static float[] range(float lo, float hi, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = lo + (hi - lo) * i / (count - 1);
        return v;
    }

    /** Every element within rel·|ref| + abs of the reference's. */
    private static void elementwise(String what, Tensor out, Tensor ref, double rel, double abs) {
        float[] o = out.f32(), f = ref.f32();
        for (int i = 0; i < o.length; i++) {
            double err = Math.abs((double) o[i] - f[i]);
            assertTrue(err <= rel * Math.abs(f[i]) + abs, what + " element " + i + ": " + o[i] + " vs reference " + f[i]);
        }
    }

    @Test
    void softplusOfDeltaPerElement() {
        float[] x = range(-100f, 60f, 4001);
        x[0] = 20f;
        x[1] = 20.000002f;
        x[2] = -20f;
        x[3] = 0f;
        int e = x.length;
        Tensor dl = Tensor.of(x, 1, 1, e), u = full(1f, 1, 1, e), a = full(-1f, e, 1), bc = full(1f, 1, 1, 1);
        Tensor y = djl.selectiveScan(u, dl, a, bc, bc, null, null, null, true, Tensor.zeros(1, e, 1));
        Tensor ref = REF.selectiveScan(u, dl, a, bc, bc, null, null, null, true, Tensor.zeros(1, e, 1));
        elementwise("softplus", y, ref, 4e-7, 1e-37);
    }

    @Test
    void siluGatePerElement() {
        float[] zs = range(-100f, 100f, 4001);
        int e = zs.length;
        Tensor z = Tensor.of(zs, 1, 1, e), one = full(1f, 1, 1, e), a = full(-1f, e, 1), bc = full(1f, 1, 1, 1);
        Tensor y = djl.selectiveScan(one, one, a, bc, bc, null, z, null, false, Tensor.zeros(1, e, 1));
        Tensor ref = REF.selectiveScan(one, one, a, bc, bc, null, z, null, false, Tensor.zeros(1, e, 1));
        // silu(z) for z < −88 is below 1e-36 in magnitude; exp's argument is clamped at 88 there
        elementwise("silu", y, ref, 4e-7, 1e-36);
    }

    /** Token 0 loads h = 1, token 1 (u = 0) leaves y = exp(δ·A) for δ = dl[e], A = as[e]. */
    private static void decay(String what, float[] dl, float[] as, double rel, double abs) {
        int e = dl.length;
        float[] d2 = new float[2 * e], u = new float[2 * e];
        for (int i = 0; i < e; i++) {
            d2[i] = 1f;
            u[i] = 1f;
            d2[e + i] = dl[i];
        }
        Tensor a = Tensor.of(as, e, 1), bc = full(1f, 1, 2, 1), dt = Tensor.of(d2, 1, 2, e), ut = Tensor.of(u, 1, 2, e);
        Tensor y = djl.selectiveScan(ut, dt, a, bc, bc, null, null, null, false, Tensor.zeros(1, e, 1));
        Tensor ref = REF.selectiveScan(ut, dt, a, bc, bc, null, null, null, false, Tensor.zeros(1, e, 1));
        elementwise(what, y, ref, rel, abs);
    }

    @Test
    void decayPerElementOnEveryPath() {
        int e = 4001;
        // δ·A over [−86.9, 0] with max δ · max |A| < 87: the unclamped loop; the decay is within
        // 1.2e-7 of exp (absolute), fp32 rounding of exp alone is 3e-8
        float[] a3 = full(-3f, e).f32(), dl = new float[e];
        for (int i = 0; i < e; i++) dl[i] = (float) (86.9 * Math.pow(i / (e - 1.0), 3) / 3.0);
        decay("decay", dl, a3, 0, 2e-7);
        // δ·A down to −400: the clamped loop
        float[] as = range(-3f, -0.05f, e);
        for (int i = 0; i < e; i++) dl[i] = (float) (400.0 * Math.pow(i / (e - 1.0), 3) / -as[i]);
        decay("clamped decay", dl, as, 0, 2e-7);
        // A with positive entries: δ·A in [−30, 30]. Growth: δ·A is an fp32 product (as it was in
        // libtorch), so exp inherits its rounding, up to 30·6e-8 relative. Decay: within 2e-7 of the
        // unit state as above (the recurrence takes exp(δA) − 1, which cannot hold exp(−30))
        float[] ap = range(-3f, 3f, e), dp = new float[e];
        for (int i = 0; i < e; i++) dp[i] = ap[i] == 0f ? 1f : (float) (30.0 * (2.0 * i / (e - 1.0) - 1.0) / ap[i]);
        decay("exp, A partly positive", dp, ap, 2e-6, 2e-7);
        // negative δ without softplus, negative A
        float[] dn = range(-5f, 1f, e), an = full(-2f, e).f32();
        decay("exp, δ partly negative", dn, an, 2e-6, 2e-7);
    }

    @Test
    void wholeOpOnTheRarePaths() {
        int b = 2, l = 9, e = 37, n = 5;
        Tensor u = r.normal(0, 1, b, l, e), z = r.normal(0, 1, b, l, e), bm = r.normal(0, 1, b, l, n), cm = r.normal(0, 1, b, l, n);
        Tensor d = r.normal(0, 1, e), db = r.normal(0, 0.5, e), h0 = r.normal(0, 1, b, e, n);
        Tensor aNeg = r.uniform(-3, -0.05, e, n);
        // some tokens with δ near 60 (δ·A down to −180: clamped), the rest ordinary
        Tensor dl = r.normal(-1, 2, b, l, e);
        for (int i = 0; i < dl.numel(); i += 11) dl.f32()[i] = 60f + (i % 7);
        run("large δ", u, dl, aNeg, bm, cm, d, z, db, true, h0);
        // one positive A entry turns the whole call to the general exp
        Tensor aMixed = aNeg.copy();
        aMixed.f32()[7] = 0.4f;
        run("A partly positive", u, r.normal(-1, 2, b, l, e), aMixed, bm, cm, d, z, db, true, h0);
        // δ without softplus, partly negative on some tokens only
        Tensor dn = r.uniform(0, 1.5, b, l, e);
        for (int i = 0; i < dn.numel(); i += 29) dn.f32()[i] = -0.3f;
        run("δ partly negative", u, dn, aNeg, bm, cm, null, null, null, false, h0);
    }

    private static void run(String what, Tensor u, Tensor dl, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                            Tensor db, boolean softplus, Tensor h0) {
        Tensor h1 = h0.copy(), h2 = h0.copy();
        Tensor y1 = djl.selectiveScan(u, dl, a, bm, cm, d, z, db, softplus, h1);
        Tensor y2 = REF.selectiveScan(u, dl, a, bm, cm, d, z, db, softplus, h2);
        close(what + " out", y1, y2, TOL);
        close(what + " state", h1, h2, TOL);
    }
}
