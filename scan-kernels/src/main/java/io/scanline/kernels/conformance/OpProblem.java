package io.scanline.kernels.conformance;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A seeded random instance of one recurrent op, runnable on any backend over any partition of its
 * token axis, returning the concatenated outputs and the final state tensors. The conformance suite
 * and the chunk-invariance tests are built from these.
 *
 * <p>Glossary: B batch, L tokens, C/E channels, K conv width, N state size, H/P/G SSD heads/head
 * dim/groups, NH/DH mLSTM heads/head dim.
 */
public abstract class OpProblem {
    public final String name;
    public final int length;

    protected OpProblem(String name, int length) {
        this.name = name;
        this.length = length;
    }

    /** Runs the op chunk by chunk with fresh copies of the initial state; returns outputs and final states by name. */
    public abstract Map<String, Tensor> run(Backend be, List<int[]> chunks);

    /** Final-state entries that are log-domain stabilizers (compared with the absolute rule of ops §2). */
    public boolean isStabilizer(String key) {
        return key.equals("m");
    }

    @Override
    public String toString() {
        return name;
    }

    static Map<String, Tensor> result(Tensor out, Object... states) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("out", out);
        for (int i = 0; i < states.length; i += 2) m.put((String) states[i], (Tensor) states[i + 1]);
        return m;
    }

    static Tensor concat(Tensor empty, List<int[]> chunks, Function<int[], Tensor> fn) {
        List<Tensor> parts = new ArrayList<>();
        for (int[] c : chunks) parts.add(fn.apply(c));
        return parts.isEmpty() ? empty : Tensor.concatAxis1(parts);
    }

    static Tensor s(Tensor t, int[] c) {
        return t == null ? null : t.sliceAxis1(c[0], c[1]);
    }

    // ------------------------------------------------------------------ the four ops

    public static OpProblem conv(long seed, int b, int l, int c, int k, boolean initTail, boolean silu) {
        RandomTensors r = new RandomTensors(seed);
        Tensor x = r.normal(0, 1, b, l, c), w = r.normal(0, 0.5, c, k), bias = r.normal(0, 1, c);
        Tensor tail0 = initTail ? r.normal(0, 1, b, k - 1, c) : Tensor.zeros(b, k - 1, c);
        return new OpProblem(String.format("conv1d B%d L%d C%d K%d%s", b, l, c, k, initTail ? " tail0" : ""), l) {
            @Override
            public Map<String, Tensor> run(Backend be, List<int[]> chunks) {
                Tensor tail = tail0.copy();
                Tensor y = concat(Tensor.zeros(b, 0, c), chunks, ch -> be.causalConv1d(s(x, ch), w, bias, tail, silu));
                return result(y, "tail", tail);
            }
        };
    }

    public static OpProblem selectiveScan(long seed, int b, int l, int e, int n, boolean h0, boolean gated) {
        RandomTensors r = new RandomTensors(seed);
        Tensor u = r.normal(0, 1, b, l, e), dl = r.normal(-0.5, 1.5, b, l, e), a = r.uniform(-3, -0.05, e, n);
        Tensor bm = r.normal(0, 1, b, l, n), cm = r.normal(0, 1, b, l, n), d = r.normal(0, 1, e), db = r.normal(0, 0.5, e);
        Tensor z = gated ? r.normal(0, 1, b, l, e) : null;
        Tensor hInit = h0 ? r.normal(0, 1, b, e, n) : Tensor.zeros(b, e, n);
        return new OpProblem(String.format("selective_scan B%d L%d E%d N%d%s%s", b, l, e, n, h0 ? " h0" : "", gated ? " z" : ""), l) {
            @Override
            public Map<String, Tensor> run(Backend be, List<int[]> chunks) {
                Tensor h = hInit.copy();
                Tensor y = concat(Tensor.zeros(b, 0, e), chunks,
                        ch -> be.selectiveScan(s(u, ch), s(dl, ch), a, s(bm, ch), s(cm, ch), d, s(z, ch), db, true, h));
                return result(y, "h", h);
            }
        };
    }

    public static OpProblem ssd(long seed, SsdForm form, int inner, int b, int l, int hh, int p, int g, int n, boolean s0) {
        RandomTensors r = new RandomTensors(seed);
        Tensor x = r.normal(0, 1, b, l, hh, p), dt = r.normal(-1, 1.5, b, l, hh), a = r.uniform(-3, -0.2, hh);
        Tensor bm = r.normal(0, 1, b, l, g, n), cm = r.normal(0, 1, b, l, g, n), d = r.normal(0, 1, hh), dtb = r.normal(0, 0.5, hh);
        Tensor sInit = s0 ? r.normal(0, 1, b, hh, p, n) : Tensor.zeros(b, hh, p, n);
        return new OpProblem(String.format("ssd %s/%d B%d L%d H%d P%d G%d N%d%s", form, inner, b, l, hh, p, g, n, s0 ? " S0" : ""), l) {
            @Override
            public Map<String, Tensor> run(Backend be, List<int[]> chunks) {
                Tensor st = sInit.copy();
                Tensor y = concat(Tensor.zeros(b, 0, hh, p), chunks,
                        ch -> be.ssd(form, inner, s(x, ch), s(dt, ch), a, s(bm, ch), s(cm, ch), d, dtb, true, st));
                return result(y, "S", st);
            }
        };
    }

    /**
     * mLSTM with gates that exercise the stabilizer (input gates up to ±8, forget gates mostly open).
     * q and k are drawn with mean 1 (as the golden cases do) so that the normalizer |q·n| stays away
     * from 0: near a zero of q·n, h is ill-conditioned and fp32 rounding of the state alone moves it
     * by ~1e-5 relative, which would hide real errors behind a loose tolerance.
     * With {@code state}, the initial (C, n, m) is the state after a random 5-token prefix (consistent,
     * as in a stream); otherwise the fresh state (0, 0, −∞) of D1.
     */
    public static OpProblem mlstm(long seed, MlstmForm form, int inner, int b, int l, int nh, int dh, boolean state) {
        RandomTensors r = new RandomTensors(seed);
        Tensor q = r.normal(1, 1, b, l, nh, dh), k = r.normal(1, 1, b, l, nh, dh), v = r.normal(0, 1, b, l, nh, dh);
        Tensor ig = r.uniform(-8, 8, b, l, nh), fg = r.normal(3, 2, b, l, nh);
        Tensor c0 = Tensor.zeros(b, nh, dh, dh), n0 = Tensor.zeros(b, nh, dh), m0 = Tensor.full(Float.NEGATIVE_INFINITY, b, nh);
        if (state) {
            int pl = 5;
            new io.scanline.kernels.backend.reference.ReferenceBackend().mlstm(MlstmForm.RECURRENT, 1,
                    r.normal(1, 1, b, pl, nh, dh), r.normal(1, 1, b, pl, nh, dh), r.normal(0, 1, b, pl, nh, dh),
                    r.uniform(-8, 8, b, pl, nh), r.normal(3, 2, b, pl, nh), c0, n0, m0, 1e-6);
        }
        return new OpProblem(String.format("mlstm %s/%d B%d L%d NH%d DH%d%s", form, inner, b, l, nh, dh, state ? " state" : ""), l) {
            @Override
            public Map<String, Tensor> run(Backend be, List<int[]> chunks) {
                Tensor c = c0.copy(), n = n0.copy(), m = m0.copy();
                Tensor h = concat(Tensor.zeros(b, 0, nh, dh), chunks,
                        ch -> be.mlstm(form, inner, s(q, ch), s(k, ch), s(v, ch), s(ig, ch), s(fg, ch), c, n, m, 1e-6));
                return result(h, "C", c, "n", n, "m", m);
            }
        };
    }
}
