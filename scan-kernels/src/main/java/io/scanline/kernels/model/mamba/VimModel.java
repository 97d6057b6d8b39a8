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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Vim (spec models §4) streamed with the zig-zag schedule of spec streaming §4.4: every layer is a
 * barrier, and sweeps alternate direction. out_proj has no bias, so a layer's two directions can be
 * projected separately: sweep k (k ≥ 1) completes layer k−1 with the direction that runs its way
 * (s_k = s_{k−1} + W·y_first·h + W·y_second·h, h = 1/2 when if_divide_out) and, since s_k(t) is final
 * as soon as the sweep reaches t, runs layer k's scan in the same direction and stores its projected
 * half. Sweep 0 (forward) embeds and runs layer 0's forward scan; the last sweep applies norm_f per
 * token and picks the class token. depth + 1 sweeps, depth barriers.
 *
 * <p>Store per token: s (D) + one projected direction (D). Two directions' states are live per sweep.
 * Glossary: B images, M patches, L = M + 1 tokens, c = M//2 class slot, D width, E inner width.
 */
public final class VimModel implements StreamingModel {
    private final VimConfig cfg;
    private final MiddleClsEmbedding embedding;
    private final Layer[] layers;
    private final Tensor normF, headW, headB;

    private record Layer(Tensor norm, Tensor wx, Tensor wz, Mamba1Params fwd, Mamba1Params bwd, Tensor outW) {}

    VimModel(VimConfig c, Weights w) {
        this.cfg = c;
        int g = MiddleClsEmbedding.grid(c.imgSize(), c.patch(), c.stride());
        this.embedding = new MiddleClsEmbedding(w, c.d(), c.patch(), c.stride(), g, g);
        this.layers = new Layer[c.depth()];
        for (int l = 0; l < c.depth(); l++) {
            String p = "layers." + l + ".";
            Tensor in = w.get(p + "mixer.in_proj.weight", 2 * c.e(), c.d()).reshape(1, 2 * c.e(), c.d());
            layers[l] = new Layer(w.get(p + "norm.weight", c.d()),
                    in.sliceAxis1(0, c.e()).reshape(c.e(), c.d()), in.sliceAxis1(c.e(), 2 * c.e()).reshape(c.e(), c.d()),
                    Mamba1Params.load(w, p + "mixer.", "", c.e(), c.n(), c.r(), c.k(), 1.0),
                    Mamba1Params.load(w, p + "mixer.", "_b", c.e(), c.n(), c.r(), c.k(), 1.0),
                    w.get(p + "mixer.out_proj.weight", c.d(), c.e()));
        }
        this.normF = w.get("norm_f.weight", c.d());
        this.headW = w.get("head.weight", c.classes(), c.d());
        this.headB = w.get("head.bias", c.classes());
        w.requireAllUsed();
    }

    @Override
    public String family() { return VimFamily.NAME; }

    @Override
    public Plan plan(int hp, int wp) {
        List<Plan.Pass> passes = new ArrayList<>();
        int depth = cfg.depth();
        for (int k = 0; k <= depth; k++) {
            boolean reverse = k % 2 == 1;
            String dir = reverse ? "backward" : "forward";
            List<String> ls = new ArrayList<>();
            if (k == 0) ls.add("patch_embed + pos_embed (class token at M//2)");
            else ls.add("layers." + (k - 1) + " " + dir + " direction + residual → s_" + k);
            if (k < depth) ls.add("layers." + k + " " + dir + " direction → store W·y/2");
            else ls.addAll(List.of("norm_f", "head (class token)"));
            passes.add(new Plan.Pass("sweep " + k, reverse ? Plan.Order.REVERSE : Plan.Order.FORWARD, ls, k < depth));
        }
        // live carried state: two directions per sweep, each conv tail (K−1)·E + h E·N
        long state = 2L * ((long) (cfg.k() - 1) * cfg.e() + (long) cfg.e() * cfg.n());
        return new Plan(family(), passes, state, 2L * cfg.d());
    }

    @Override
    public ModelOutput forward(Backend backend, ImageSource image, StreamOptions o) {
        return forward(backend, image, o, null);
    }

    /**
     * As {@link #forward(Backend, ImageSource, StreamOptions)}; with {@code transit} set, every sweep is
     * stopped after each chunk, its two direction states snapshotted ({@code done.*}, {@code next.*}),
     * passed through {@code transit} (tests serialize it) and restored into fresh state objects that
     * continue (spec streaming §2, restore level).
     */
    ModelOutput forward(Backend backend, ImageSource image, StreamOptions o, UnaryOperator<Map<String, Tensor>> transit) {
        MemoryLedger ledger = new MemoryLedger(o.maxImageBytes(), image.batch());
        Backend be = new MeteredBackend(backend, ledger);
        MiddleClsEmbedding.Bound emb = embedding.bind(image);
        int bsz = emb.batch, len = emb.length, d = cfg.d(), depth = layers.length;
        TokenOutputs outs = new TokenOutputs(bsz, len, o.tokenSink());
        Map<String, Tensor> result = new LinkedHashMap<>();
        Tensor pre = null;
        try (TokenStore s = TokenStore.open(be, bsz, len, d, o.spillMemoryBytes() / 2, o.spillDir(), ledger);
             TokenStore acc = TokenStore.open(be, bsz, len, d, o.spillMemoryBytes() / 2, o.spillDir(), ledger)) {
            for (int k = 0; k <= depth; k++) {
                boolean reverse = k % 2 == 1;
                Layer done = k > 0 ? layers[k - 1] : null, next = k < depth ? layers[k] : null;
                DirectionState doneState = done == null ? null : DirectionState.fresh(be, bsz, params(done, reverse));
                DirectionState nextState = next == null ? null : DirectionState.fresh(be, bsz, params(next, reverse));
                long stateBytes = (doneState == null ? 0 : doneState.bytes()) + (nextState == null ? 0 : nextState.bytes());
                ledger.addState(stateBytes);
                for (int[] ch : reverse ? Sweep.reverse(len, o.chunk()) : Sweep.forward(len, o.chunk())) {
                    int a = ch[0], n = ch[1] - ch[0];
                    Tensor x, half = null, f = null;
                    // the chunk's intermediates die with the scope; the rows for the stores are kept and written
                    // outside it (a store may cut slices of earlier rows while writing, which must outlive it)
                    try (OpScope scope = be.opScope()) {
                        if (done == null) {
                            x = emb.tokens(be, a, a + n);
                            if (o.keepLayerOutputs()) outs.collect("embed.output", x, Seq.identity(n), a);
                        } else {
                            Tensor prev = s.read(a, n);
                            Tensor mix = be.add(projectedHalf(be, done, params(done, reverse), prev, doneState, reverse), acc.read(a, n));
                            x = be.add(prev, mix);
                            if (o.keepLayerOutputs()) outs.collect("layer." + (k - 1) + ".output", x, Seq.identity(n), a);
                        }
                        if (next != null) {
                            half = scope.keep(projectedHalf(be, next, params(next, reverse), x, nextState, reverse));
                            scope.keep(x);
                        } else {
                            f = scope.keep(be.rmsNorm(x, normF, cfg.eps()));   // a token sink may hold it
                        }
                    }
                    if (next != null) {
                        s.write(a, x);
                        acc.write(a, half);
                    } else {
                        outs.emit("output.features", a, f);
                        if (a <= emb.c && emb.c < a + n) pre = f.sliceAxis1(emb.c - a, emb.c - a + 1).reshape(bsz, d);
                    }
                    if (transit != null) {
                        Map<String, Tensor> snap = new LinkedHashMap<>();
                        if (doneState != null) snap.putAll(doneState.snapshot("done"));
                        if (nextState != null) snap.putAll(nextState.snapshot("next"));
                        Map<String, Tensor> back = transit.apply(snap);
                        if (doneState != null) doneState = DirectionState.restore(back, "done", doneState);
                        if (nextState != null) nextState = DirectionState.restore(back, "next", nextState);
                    }
                }
                ledger.releaseState(stateBytes);
            }
        }
        outs.into(result);
        result.put("output.pre_logits", pre);
        result.put("output.logits", be.linear(pre, headW, headB));
        return new ModelOutput(result, ledger);
    }

    private static Mamba1Params params(Layer ly, boolean reverse) {
        return reverse ? ly.bwd() : ly.fwd();
    }

    /** W·y·h of one direction over a chunk of the layer input x (B, n, D); a reverse sweep scans the chunk reversed. */
    private Tensor projectedHalf(Backend be, Layer ly, Mamba1Params p, Tensor x, DirectionState st, boolean reverse) {
        Tensor hn = be.rmsNorm(x, ly.norm(), cfg.eps());
        Tensor o = Mamba1Direction.mix(be, p, hn, ly.wx(), ly.wz(), ly.outW(), st, reverse);
        return be.axpby(o, cfg.divideOut() ? 0.5 : 1.0, null, 0.0);
    }
}
