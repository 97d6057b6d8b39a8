package io.scanline.kernels.golden;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs the {@code op_*} golden cases (spec ops §13). The official op code is channel-major
 * ({@code (b, E, L)}); inputs are transposed to the engine's token-major layout and outputs back.
 * F64 inputs are rounded to F32 (the engine's precision) and compared with the F64 outputs at the
 * tolerances of the golden README: 1e-5, or 1e-4 for the ill-conditioned mLSTM case.
 */
public final class OpCaseRunner implements CaseRunner {

    @Override
    public boolean supports(String family) {
        return family.startsWith("op_");
    }

    @Override
    public List<Comparison> run(GoldenCase g, Backend be, RunOptions o) {
        double tol = g.config().path("well_conditioned").asBoolean(true) ? 1e-5 : 1e-4;
        return switch (g.family()) {
            case "op_causal_conv1d" -> conv(g, be, o, tol);
            case "op_selective_scan" -> scan(g, be, o, tol);
            case "op_ssd" -> ssd(g, be, o, tol);
            case "op_mlstm" -> mlstm(g, be, o, tol);
            default -> throw new IllegalArgumentException("unknown op family " + g.family());
        };
    }

    /** Runs fn over the token chunks of o.chunk() and concatenates the (B, l, ...) outputs. */
    static Tensor chunked(int length, RunOptions o, Function<int[], Tensor> fn) {
        List<Tensor> parts = new ArrayList<>();
        for (int[] c : Chunks.fixed(length, o.chunk())) parts.add(fn.apply(c));
        return parts.size() == 1 ? parts.get(0) : Tensor.concatAxis1(parts);
    }

    private static Tensor f32(GoldenCase g, String key) {
        return g.tensor(key).toF32();
    }

    private static Tensor opt32(GoldenCase g, String key) {
        Tensor t = g.optional(key);
        return t == null ? null : t.toF32();
    }

    private List<Comparison> conv(GoldenCase g, Backend be, RunOptions o, double tol) {
        Tensor x = f32(g, "x").transpose(1, 2), w = f32(g, "weight"), b = opt32(g, "bias");
        int bsz = x.dim(0), l = x.dim(1), c = x.dim(2), k = w.dim(1);
        Tensor init = opt32(g, "initial_states");
        List<Comparison> out = new ArrayList<>();
        for (boolean silu : new boolean[] {false, true}) {
            Tensor tail = init == null ? Tensor.zeros(bsz, k - 1, c) : init.transpose(1, 2);
            Tensor y = chunked(l, o, ch -> be.causalConv1d(x.sliceAxis1(ch[0], ch[1]), w, b, tail, silu));
            out.add(Comparison.relative(silu ? "out" : "out_no_activation", y.transpose(1, 2), g.tensor(silu ? "out" : "out_no_activation"), tol));
            if (silu) out.add(Comparison.relative("final_states", tail.transpose(1, 2), g.tensor("final_states"), tol));
        }
        return out;
    }

    private List<Comparison> scan(GoldenCase g, Backend be, RunOptions o, double tol) {
        Tensor u = f32(g, "u").transpose(1, 2), delta = f32(g, "delta").transpose(1, 2);
        Tensor a = f32(g, "A"), bm = f32(g, "B").transpose(1, 2), cm = f32(g, "C").transpose(1, 2);
        Tensor z = g.optional("z") == null ? null : f32(g, "z").transpose(1, 2);
        Tensor d = opt32(g, "D"), db = opt32(g, "delta_bias");
        Tensor h0 = opt32(g, "initial_state");
        int bsz = u.dim(0), l = u.dim(1);
        Tensor h = h0 == null ? Tensor.zeros(bsz, u.dim(2), a.dim(1)) : h0.copy();
        boolean sp = g.config().path("delta_softplus").asBoolean(true);
        Tensor y = chunked(l, o, c -> be.selectiveScan(u.sliceAxis1(c[0], c[1]), delta.sliceAxis1(c[0], c[1]), a,
                bm.sliceAxis1(c[0], c[1]), cm.sliceAxis1(c[0], c[1]), d, z == null ? null : z.sliceAxis1(c[0], c[1]),
                db, sp, h));
        return List.of(Comparison.relative("out", y.transpose(1, 2), g.tensor("out"), tol),
                Comparison.relative("last_state", h, g.tensor("last_state"), tol));
    }

    private List<Comparison> ssd(GoldenCase g, Backend be, RunOptions o, double tol) {
        Tensor x = f32(g, "x"), dt = f32(g, "dt"), a = f32(g, "A"), bm = f32(g, "B"), cm = f32(g, "C");
        Tensor d = opt32(g, "D"), dtb = opt32(g, "dt_bias"), s0 = opt32(g, "initial_state");
        int bsz = x.dim(0), l = x.dim(1);
        Tensor s = s0 == null ? Tensor.zeros(bsz, x.dim(2), x.dim(3), bm.dim(3)) : s0.copy();
        boolean sp = g.config().path("dt_softplus").asBoolean(true);
        Tensor y = chunked(l, o, c -> be.ssd(o.ssdForm(), o.ssdChunk(), x.sliceAxis1(c[0], c[1]),
                dt.sliceAxis1(c[0], c[1]), a, bm.sliceAxis1(c[0], c[1]), cm.sliceAxis1(c[0], c[1]), d, dtb, sp, s));
        return List.of(Comparison.relative("y", y, g.tensor("y"), tol),
                Comparison.relative("final_state", s, g.tensor("final_state"), tol));
    }

    private List<Comparison> mlstm(GoldenCase g, Backend be, RunOptions o, double tol) {
        Tensor q = f32(g, "q").transpose(1, 2), k = f32(g, "k").transpose(1, 2), v = f32(g, "v").transpose(1, 2);
        Tensor ig = f32(g, "igate_preact").transpose(1, 2), fg = f32(g, "fgate_preact").transpose(1, 2);
        int bsz = q.dim(0), l = q.dim(1), nh = q.dim(2), dh = q.dim(3);
        double eps = g.config().path("eps").asDouble(1e-6);
        List<Comparison> out = new ArrayList<>();
        // The golden recurrent outputs start from the official m0 = 0 when no initial state is given
        // (golden README); the project's fresh state is m0 = −∞ (D1), which the parallel outputs match.
        Tensor c = g.optional("C0") == null ? Tensor.zeros(bsz, nh, dh, dh) : f32(g, "C0").copy();
        Tensor n = g.optional("n0") == null ? Tensor.zeros(bsz, nh, dh) : f32(g, "n0").copy();
        Tensor m = g.optional("m0") == null ? Tensor.zeros(bsz, nh) : f32(g, "m0").copy();
        Tensor h = chunked(l, o, ch -> be.mlstm(o.mlstmForm(), o.mlstmChunk(), q.sliceAxis1(ch[0], ch[1]),
                k.sliceAxis1(ch[0], ch[1]), v.sliceAxis1(ch[0], ch[1]), ig.sliceAxis1(ch[0], ch[1]),
                fg.sliceAxis1(ch[0], ch[1]), c, n, m, eps));
        out.add(Comparison.relative("h", h.transpose(1, 2), g.tensor("h"), tol));
        out.add(Comparison.relative("C", c, g.tensor("C"), tol));
        out.add(Comparison.relative("n", n, g.tensor("n"), tol));
        out.add(Comparison.stabilizer("m", m, g.tensor("m"), tol));
        if (g.optional("h_parallel") != null) {
            Tensor c2 = Tensor.zeros(bsz, nh, dh, dh), n2 = Tensor.zeros(bsz, nh, dh);
            Tensor m2 = Tensor.full(Float.NEGATIVE_INFINITY, bsz, nh);
            Tensor hp = chunked(l, o, ch -> be.mlstm(o.mlstmForm(), o.mlstmChunk(), q.sliceAxis1(ch[0], ch[1]),
                    k.sliceAxis1(ch[0], ch[1]), v.sliceAxis1(ch[0], ch[1]), ig.sliceAxis1(ch[0], ch[1]),
                    fg.sliceAxis1(ch[0], ch[1]), c2, n2, m2, eps));
            out.add(Comparison.relative("h_parallel (fresh state m=-inf)", hp.transpose(1, 2), g.tensor("h_parallel"), tol));
        }
        return out;
    }
}
