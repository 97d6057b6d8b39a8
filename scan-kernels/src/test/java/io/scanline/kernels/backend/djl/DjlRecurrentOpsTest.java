package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.scanline.kernels.backend.djl.DjlTestSupport.close;
import static io.scanline.kernels.backend.djl.DjlTestSupport.closeM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Recurrent ops of the djl backend against the reference: outputs and final states, from zero and
 * non-zero initial states, on awkward lengths (0, 1, odd, across inner chunk / block boundaries).
 *
 * <p>Tolerance 1e-5 normwise (the op tolerance of spec ops §2): the reference keeps double per-token
 * arithmetic, the djl paths run fp32 GEMMs / fp32 state updates with fp64 gate and decay arithmetic.
 */
class DjlRecurrentOpsTest {
    static final double TOL = 1e-5;
    static Backend djl;
    static final Backend REF = new ReferenceBackend();
    final RandomTensors r = new RandomTensors(23);

    @BeforeAll
    static void open() { djl = DjlTestSupport.open(); }

    @AfterAll
    static void shut() { djl.close(); }

    @Test
    void causalConv1d() {
        for (int k : new int[] {1, 2, 4}) {
            for (int l : new int[] {0, 1, 2, 5, 17}) {
                Tensor x = r.normal(0, 1, 2, l, 6), w = r.normal(0, 0.5, 6, k), b = r.normal(0, 1, 6);
                for (boolean silu : new boolean[] {false, true}) {
                    Tensor t0 = r.normal(0, 1, 2, k - 1, 6), t1 = t0.copy();
                    String what = "conv K" + k + " L" + l + (silu ? " silu" : "");
                    close(what, djl.causalConv1d(x, w, b, t0, silu), REF.causalConv1d(x, w, b, t1, silu), TOL);
                    assertArrayEquals(t1.f32(), t0.f32(), what + ": the tail holds copied inputs, exactly");
                }
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> djl.causalConv1d(r.normal(0, 1, 1, 3, 4), r.normal(0, 1, 4, 4), null, Tensor.zeros(1, 2, 4), true));
    }

    @Test
    void selectiveScan() {
        // E·N = 8192 gives blocks of 32 tokens, so L = 70 crosses two block boundaries
        int[][] dims = {{2, 1, 6, 4}, {1, 7, 5, 3}, {2, 33, 8, 16}, {1, 70, 512, 16}};
        for (int[] s : dims) {
            int b = s[0], l = s[1], e = s[2], n = s[3];
            Tensor u = r.normal(0, 1, b, l, e), dl = r.normal(-1, 2, b, l, e), z = r.normal(0, 1, b, l, e);
            dl.f32()[0] = 25f;                                     // above the softplus threshold
            Tensor dlPos = r.uniform(0, 2, b, l, e);
            Tensor a = r.uniform(-3, -0.05, e, n), bm = r.normal(0, 1, b, l, n), cm = r.normal(0, 1, b, l, n);
            Tensor d = r.normal(0, 1, e), db = r.normal(0, 0.5, e), h0 = r.normal(0, 1, b, e, n);
            for (int variant = 0; variant < 2; variant++) {
                boolean full = variant == 0;
                Tensor h1 = h0.copy(), h2 = h0.copy();
                // without softplus Δ must stay positive, or the state grows without bound on both sides
                Tensor dd = full ? dl : dlPos;
                Tensor y1 = djl.selectiveScan(u, dd, a, bm, cm, full ? d : null, full ? z : null, full ? db : null, full, h1);
                Tensor y2 = REF.selectiveScan(u, dd, a, bm, cm, full ? d : null, full ? z : null, full ? db : null, full, h2);
                String what = "scan " + java.util.Arrays.toString(s) + (full ? " D z bias softplus" : " bare");
                close(what + " out", y1, y2, TOL);
                close(what + " state", h1, h2, TOL);
            }
        }
        Tensor h = r.normal(0, 1, 1, 4, 2), h1 = h.copy();
        Tensor y = djl.selectiveScan(Tensor.zeros(1, 0, 4), Tensor.zeros(1, 0, 4), r.normal(0, 1, 4, 2),
                Tensor.zeros(1, 0, 2), Tensor.zeros(1, 0, 2), null, null, null, true, h1);
        assertEquals(0, y.numel());
        assertArrayEquals(h.f32(), h1.f32(), "L = 0 leaves the state unchanged");
    }

    @Test
    void ssd() {
        int[][] dims = {{1, 1, 2, 3, 1, 4}, {2, 5, 4, 3, 2, 5}, {1, 37, 4, 8, 1, 16}, {2, 70, 2, 4, 2, 3}};
        for (int[] s : dims) {
            int b = s[0], l = s[1], hh = s[2], p = s[3], g = s[4], n = s[5];
            Tensor x = r.normal(0, 1, b, l, hh, p), dt = r.normal(-1, 2, b, l, hh), a = r.uniform(-4, -0.1, hh);
            dt.f32()[0] = 22f;
            Tensor bm = r.normal(0, 1, b, l, g, n), cm = r.normal(0, 1, b, l, g, n), d = r.normal(0, 1, hh);
            Tensor dtb = r.normal(0, 0.5, hh), s0 = r.normal(0, 1, b, hh, p, n);
            for (int chunk : new int[] {1, 4, 16, 256}) {
                for (SsdForm f : SsdForm.values()) {
                    Tensor s1 = s0.copy(), s2 = s0.copy();
                    Tensor y1 = djl.ssd(f, chunk, x, dt, a, bm, cm, d, dtb, true, s1);
                    Tensor y2 = REF.ssd(SsdForm.RECURRENT, chunk, x, dt, a, bm, cm, d, dtb, true, s2);
                    String what = "ssd " + java.util.Arrays.toString(s) + " chunk " + chunk + " " + f;
                    close(what + " y", y1, y2, TOL);
                    close(what + " state", s1, s2, TOL);
                }
            }
            Tensor s1 = s0.copy(), s2 = s0.copy(), dtPos = r.uniform(0, 2, b, l, hh);   // no softplus: keep dt > 0
            close("ssd no D/bias/softplus", djl.ssd(SsdForm.CHUNKED, 8, x, dtPos, a, bm, cm, null, null, false, s1),
                    REF.ssd(SsdForm.RECURRENT, 8, x, dtPos, a, bm, cm, null, null, false, s2), TOL);
            close("ssd no D state", s1, s2, TOL);
        }
        assertThrows(IllegalArgumentException.class, () -> djl.ssd(SsdForm.CHUNKED, 0, r.normal(0, 1, 1, 2, 2, 2),
                r.normal(0, 1, 1, 2, 2), r.normal(0, 1, 2), r.normal(0, 1, 1, 2, 1, 2), r.normal(0, 1, 1, 2, 1, 2),
                null, null, true, Tensor.zeros(1, 2, 2, 2)));
    }

    @Test
    void mlstmFreshAndCarriedStates() {
        int[][] dims = {{1, 1, 1, 4}, {2, 9, 3, 8}, {1, 40, 2, 16}};
        for (int[] s : dims) {
            int b = s[0], l = s[1], nh = s[2], dh = s[3];
            Tensor q = r.normal(0, 1, b, l, nh, dh), k = r.normal(0, 1, b, l, nh, dh), v = r.normal(0, 1, b, l, nh, dh);
            Tensor ig = r.normal(0, 3, b, l, nh), fg = r.normal(2, 3, b, l, nh);
            ig.f32()[0] = -40f;                                     // a nearly closed input gate
            for (int init = 0; init < 3; init++) {
                Tensor c0 = init == 0 ? Tensor.zeros(b, nh, dh, dh) : r.normal(0, 1, b, nh, dh, dh);
                Tensor n0 = init == 0 ? Tensor.zeros(b, nh, dh) : r.normal(0, 1, b, nh, dh);
                // fresh (−∞), ordinary, and very negative stabilizer
                Tensor m0 = Tensor.full(init == 0 ? Float.NEGATIVE_INFINITY : init == 1 ? 0.7f : -30f, b, nh);
                Tensor cr = c0.copy(), nr = n0.copy(), mr = m0.copy();
                Tensor hr = REF.mlstm(MlstmForm.RECURRENT, 1, q, k, v, ig, fg, cr, nr, mr, 1e-6);
                for (MlstmForm f : MlstmForm.values()) {
                    for (int chunk : f == MlstmForm.CHUNKWISE ? new int[] {1, 7, 64} : new int[] {64}) {
                        Tensor c = c0.copy(), n = n0.copy(), m = m0.copy();
                        Tensor h = djl.mlstm(f, chunk, q, k, v, ig, fg, c, n, m, 1e-6);
                        String what = "mlstm " + java.util.Arrays.toString(s) + " init " + init + " " + f + " chunk " + chunk;
                        close(what + " h", h, hr, TOL);
                        close(what + " C", c, cr, TOL);
                        close(what + " n", n, nr, TOL);
                        closeM(what + " m", m, mr, TOL);
                    }
                }
            }
        }
    }
}
