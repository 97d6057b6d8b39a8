package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.MeteredBackend;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.TokenStore;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * ARM fine-tuned classifier (spec models §7) streamed with four sweeps per layer (spec streaming
 * §4.6): row forward, row reverse, column forward, column reverse. out_proj has no bias, so each
 * direction adds W·o_i/4 into an accumulator store; the last sweep adds the residual, runs
 * norm2 → SwiGLU → residual per token and writes s_{l+1} in place. Column sweeps read and write the
 * stores in column order through {@link ColumnOrder}. A last row sweep applies norm_f and pools.
 *
 * <p>Store per token: s (D) + accumulator (D). Glossary: B images, M = h² patches, L = M + 1 tokens,
 * c = M//2 class slot, D = E width, F SwiGLU width.
 */
public final class ArmModel implements StreamingModel {
    private static final String[] DIRS = {"", "_b", "_c", "_c_b"};

    private final ArmConfig cfg;
    private final MiddleClsEmbedding embedding;
    private final Layer[] layers;
    private final Tensor normFW, normFB, headW, headB;

    private record Layer(Tensor n1w, Tensor n1b, Tensor wx, Tensor wz, Mamba1Params[] dirs, Tensor outW,
                         Tensor n2w, Tensor n2b, Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor w3, Tensor b3) {}

    ArmModel(ArmConfig c, Weights w) {
        this.cfg = c;
        int g = MiddleClsEmbedding.grid(c.imgSize(), c.patch(), c.stride());
        this.embedding = new MiddleClsEmbedding(w, c.d(), c.patch(), c.stride(), g, g);
        int d = c.d(), f = c.mlpWidth();
        this.layers = new Layer[c.depth()];
        for (int l = 0; l < c.depth(); l++) {
            String p = "layers." + l + ".";
            Tensor in = w.get(p + "mixer.in_proj.weight", 2 * d, d).reshape(1, 2 * d, d);
            Mamba1Params[] dirs = new Mamba1Params[4];
            for (int i = 0; i < 4; i++) dirs[i] = Mamba1Params.load(w, p + "mixer.", DIRS[i], d, ArmConfig.N, c.r(), ArmConfig.K, 1.0);
            layers[l] = new Layer(w.get(p + "norm1.weight", d), w.get(p + "norm1.bias", d),
                    in.sliceAxis1(0, d).reshape(d, d), in.sliceAxis1(d, 2 * d).reshape(d, d), dirs,
                    w.get(p + "mixer.out_proj.weight", d, d), w.get(p + "norm2.weight", d), w.get(p + "norm2.bias", d),
                    w.get(p + "mlp.w1.weight", f, d), w.get(p + "mlp.w1.bias", f), w.get(p + "mlp.w2.weight", f, d),
                    w.get(p + "mlp.w2.bias", f), w.get(p + "mlp.w3.weight", d, f), w.get(p + "mlp.w3.bias", d));
        }
        this.normFW = w.get("norm_f.weight", d);
        this.normFB = w.get("norm_f.bias", d);
        this.headW = w.get("head.weight", c.classes(), d);
        this.headB = w.get("head.bias", c.classes());
        w.requireAllUsed();
    }

    @Override
    public String family() { return ArmFamily.NAME; }

    @Override
    public Plan plan(int hp, int wp) {
        if (hp != wp) throw new IllegalArgumentException("arm needs a square patch grid, got " + hp + "x" + wp);
        List<Plan.Pass> passes = new ArrayList<>();
        Plan.Order[] orders = {Plan.Order.FORWARD, Plan.Order.REVERSE, Plan.Order.COLUMN_FORWARD, Plan.Order.COLUMN_REVERSE};
        for (int l = 0; l < cfg.depth(); l++) {
            for (int i = 0; i < 4; i++) {
                List<String> ls = new ArrayList<>();
                if (l == 0 && i == 0) ls.add("patch_embed + pos_embed (class token at M//2)");
                ls.add("layers." + l + ".mixer direction '" + DIRS[i] + "' → accumulator += W·o/4");
                if (i == 3) ls.add("layers." + l + " residual + norm2 + mlp → store s_" + (l + 1));
                passes.add(new Plan.Pass("layer " + l + " sweep " + (i + 1), orders[i], ls, true));
            }
        }
        passes.add(new Plan.Pass("output", Plan.Order.FORWARD,
                List.of("norm_f", cfg.globalPool() ? "global pool (class token excluded)" : "class token", "head"), false));
        long state = (long) (ArmConfig.K - 1) * cfg.d() + (long) cfg.d() * ArmConfig.N;
        return new Plan(family(), passes, state, 2L * cfg.d());
    }

    @Override
    public ModelOutput forward(Backend backend, ImageSource image, StreamOptions o) {
        return forward(backend, image, o, null);
    }

    /**
     * As {@link #forward(Backend, ImageSource, StreamOptions)}; with {@code transit} set, every direction
     * sweep is stopped after each chunk, its direction state snapshotted ({@code dir.*}), passed through
     * {@code transit} (tests serialize it) and restored into a fresh state object that continues (spec
     * streaming §2, restore level). The output sweep's fp64 pooling sums go through it the same way.
     */
    ModelOutput forward(Backend backend, ImageSource image, StreamOptions o, UnaryOperator<Map<String, Tensor>> transit) {
        MemoryLedger ledger = new MemoryLedger(o.maxImageBytes(), image.batch());
        Backend be = new MeteredBackend(backend, ledger);
        MiddleClsEmbedding.Bound emb = embedding.bind(image);
        if (emb.hp != emb.wp) {
            throw new IllegalArgumentException("arm needs a square patch grid (the official column scan has no definition otherwise), got "
                    + emb.hp + "x" + emb.wp + " patches");
        }
        int bsz = emb.batch, len = emb.length, d = cfg.d();
        int[] rowPos = Seq.identity(len), colPos = ColumnOrder.permutation(len);
        TokenOutputs outs = new TokenOutputs(bsz, len, o.tokenSink());
        Map<String, Tensor> result = new LinkedHashMap<>();
        // Row-indexed stores: the column-order passes gather and scatter rows far apart, one call per chunk
        // on a device (a piecewise device store cut single rows: H100, 1024², 57,363 slice calls, 71% of the time).
        try (TokenStore s = TokenStore.openIndexed(be, bsz, len, d, o.spillMemoryBytes() / 2, o.spillDir(), ledger);
             TokenStore acc = TokenStore.openIndexed(be, bsz, len, d, o.spillMemoryBytes() / 2, o.spillDir(), ledger)) {
            for (int l = 0; l < layers.length; l++) {
                Layer ly = layers[l];
                for (int dir = 0; dir < 4; dir++) {
                    int[] pos = dir < 2 ? rowPos : colPos;
                    boolean reverse = dir % 2 == 1, last = dir == 3;
                    DirectionState st = DirectionState.fresh(be, bsz, ly.dirs()[dir]);
                    ledger.addState(st.bytes());
                    for (int[] ch : reverse ? Sweep.reverse(len, o.chunk()) : Sweep.forward(len, o.chunk())) {
                        int a = ch[0], b = ch[1];
                        // every row made here is copied into a store (or collected) before the scope frees it
                        try (OpScope scope = be.opScope()) {
                            Tensor x;
                            if (l == 0 && dir == 0) {
                                x = emb.tokens(be, a, b);
                                s.write(a, x);
                                if (o.keepLayerOutputs()) outs.collect("embed.output", x, Seq.identity(b - a), a);
                            } else {
                                x = s.gather(pos, a, b);
                            }
                            Tensor hn = be.layerNorm(x, ly.n1w(), ly.n1b(), ArmConfig.LN_EPS);
                            Tensor part = Mamba1Direction.mix(be, ly.dirs()[dir], hn, ly.wx(), ly.wz(), ly.outW(), st, reverse);
                            Tensor sum = be.axpby(part, 0.25, dir == 0 ? null : acc.gather(pos, a, b), 1.0);
                            if (!last) {
                                acc.scatter(pos, a, b, sum);
                            } else {
                                Tensor mid = be.add(x, sum);
                                Tensor next = be.add(mid, swiglu(be, ly, be.layerNorm(mid, ly.n2w(), ly.n2b(), ArmConfig.LN_EPS)));
                                s.scatter(pos, a, b, next);
                                if (o.keepLayerOutputs()) outs.collect("layer." + l + ".output", next, Arrays.copyOfRange(pos, a, b), 0);
                            }
                        }
                        if (transit != null) st = DirectionState.restore(transit.apply(st.snapshot("dir")), "dir", st);
                    }
                    ledger.releaseState(st.bytes());
                }
            }
            result.put("output.pre_logits", outputSweep(be, s, emb, o, outs, transit));
            outs.into(result);
            result.put("output.logits", be.linear(result.get("output.pre_logits"), headW, headB));
        }
        return new ModelOutput(result, ledger);
    }

    private static Tensor swiglu(Backend be, Layer ly, Tensor x) {
        Tensor g = be.mul(be.silu(be.linear(x, ly.w1(), ly.b1())), be.linear(x, ly.w2(), ly.b2()));
        return be.linear(g, ly.w3(), ly.b3());
    }

    /** norm_f per token; pooled features: (mean(f[0:c]) + mean(f[c+1:L]))/2, or f[c] without global_pool. */
    private Tensor outputSweep(Backend be, TokenStore s, MiddleClsEmbedding.Bound emb, StreamOptions o, TokenOutputs outs,
                               UnaryOperator<Map<String, Tensor>> transit) {
        int bsz = emb.batch, d = cfg.d(), c = emb.c, len = emb.length;
        if (cfg.globalPool() && (c == 0 || c + 1 == len)) {
            throw new IllegalArgumentException("arm global_pool needs patches on both sides of the class token; grid has " + emb.m + " patch(es)");
        }
        // token means accumulate in fp64 (spec ops §2: long reductions need fp64), on the device where the backend
        // keeps states: the features go out per chunk without a host read here
        Tensor before = Tensor.zerosF64(bsz * d), after = Tensor.zerosF64(bsz * d), cls = Tensor.zeros(bsz, d);
        for (int[] ch : Sweep.forward(len, o.chunk())) {
            int a = ch[0], n = ch[1] - ch[0];
            Tensor f;
            try (OpScope scope = be.opScope()) {
                f = scope.keep(be.layerNorm(s.read(a, n), normFW, normFB, ArmConfig.LN_EPS));
                int nb = Math.min(n, c - a), na = Math.max(0, c + 1 - a);   // tokens before c: [0, nb); after c: [na, n)
                if (nb > 0) be.addSumAxis1(nb == n ? f : be.sliceAxis1(f, 0, nb), before);
                if (na < n) be.addSumAxis1(na == 0 ? f : be.sliceAxis1(f, na, n), after);
                if (a <= c && c < a + n) cls = scope.keep(be.sliceAxis1(f, c - a, c - a + 1)).reshape(bsz, d);
            }
            outs.emit("output.features", a, f);
            if (transit != null) {
                Map<String, Tensor> back = transit.apply(Map.of("pool.before", before.copy().reshape(bsz, d),
                        "pool.after", after.copy().reshape(bsz, d), "pool.cls", cls.copy()));
                before = back.get("pool.before").toF64().copy().reshape(bsz * d);
                after = back.get("pool.after").toF64().copy().reshape(bsz * d);
                cls = back.get("pool.cls").toF32().copy();
            }
        }
        if (!cfg.globalPool()) return cls;
        double[] bs = before.f64(), as = after.f64();
        float[] pooled = new float[bsz * d];
        for (int i = 0; i < pooled.length; i++) pooled[i] = (float) ((bs[i] / c + as[i] / (len - c - 1)) / 2);
        return Tensor.of(pooled, bsz, d);
    }
}
