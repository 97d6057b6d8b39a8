package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.MeteredBackend;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.SpillStore;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Vim (spec models §4) streamed with two sweeps per layer (spec streaming §4.4): every layer is a
 * barrier. Sweep 1 (forward) runs the forward direction and stores its projected half
 * W·y_f·s (out_proj has no bias, so the halves can be projected separately; s = 1/2 when
 * if_divide_out); sweep 2 (reverse, chunks from the end) recomputes in_proj, runs the backward
 * direction and writes s_{l+1} = s_l + W·y_f·s + W·y_b·s in place. A last forward sweep applies
 * norm_f per token and picks the class token. Embedding is fused into layer 0's first sweep.
 *
 * <p>Store per token: s (D) + projected forward half (D). Glossary: B images, M patches,
 * L = M + 1 tokens, c = M//2 class slot, D width, E inner width.
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
        for (int l = 0; l < cfg.depth(); l++) {
            List<String> first = new ArrayList<>();
            if (l == 0) first.add("patch_embed + pos_embed (class token at M//2)");
            first.add("layers." + l + " forward direction → store W·y_f/2");
            passes.add(new Plan.Pass("layer " + l + " sweep 1", Plan.Order.FORWARD, first, true));
            passes.add(new Plan.Pass("layer " + l + " sweep 2", Plan.Order.REVERSE,
                    List.of("layers." + l + " backward direction + residual → store s_" + (l + 1)), true));
        }
        passes.add(new Plan.Pass("output", Plan.Order.FORWARD, List.of("norm_f", "head (class token)"), false));
        // live carried state: one direction at a time, conv tail (K−1)·E + h E·N
        long state = (long) (cfg.k() - 1) * cfg.e() + (long) cfg.e() * cfg.n();
        return new Plan(family(), passes, state, 2L * cfg.d());
    }

    @Override
    public ModelOutput forward(Backend backend, ImageSource image, StreamOptions o) {
        MemoryLedger ledger = new MemoryLedger(o.maxImageBytes(), image.batch());
        Backend be = new MeteredBackend(backend, ledger);
        MiddleClsEmbedding.Bound emb = embedding.bind(image);
        int bsz = emb.batch, len = emb.length, d = cfg.d();
        double half = cfg.divideOut() ? 0.5 : 1.0;
        TokenOutputs outs = new TokenOutputs(bsz, len, o.tokenSink());
        Map<String, Tensor> result = new LinkedHashMap<>();
        try (SpillStore s = new SpillStore(bsz, len, d, o.spillMemoryBytes() / 2, o.spillDir(), ledger);
             SpillStore acc = new SpillStore(bsz, len, d, o.spillMemoryBytes() / 2, o.spillDir(), ledger)) {
            for (int l = 0; l < layers.length; l++) {
                Layer ly = layers[l];
                DirectionState fs = DirectionState.fresh(bsz, ly.fwd());
                ledger.addState(fs.bytes());
                for (int[] ch : Sweep.forward(len, o.chunk())) {
                    int a = ch[0], n = ch[1] - ch[0];
                    Tensor x;
                    if (l == 0) {
                        x = emb.tokens(be, a, a + n);
                        s.write(a, x);
                        if (o.keepLayerOutputs()) outs.collect("embed.output", x, Seq.identity(n), a);
                    } else {
                        x = s.read(a, n);
                    }
                    Tensor hn = be.rmsNorm(x, ly.norm(), cfg.eps());
                    Tensor y = Mamba1Direction.run(be, ly.fwd(), be.linear(hn, ly.wx(), null), be.linear(hn, ly.wz(), null), fs);
                    acc.write(a, be.axpby(be.linear(y, ly.outW(), null), half, null, 0.0));
                }
                ledger.releaseState(fs.bytes());
                DirectionState bs = DirectionState.fresh(bsz, ly.bwd());
                ledger.addState(bs.bytes());
                for (int[] ch : Sweep.reverse(len, o.chunk())) {
                    int a = ch[0], n = ch[1] - ch[0];
                    Tensor x = s.read(a, n);
                    Tensor hr = Seq.reverse(be.rmsNorm(x, ly.norm(), cfg.eps()));
                    Tensor yr = Mamba1Direction.run(be, ly.bwd(), be.linear(hr, ly.wx(), null), be.linear(hr, ly.wz(), null), bs);
                    Tensor mix = be.axpby(be.linear(Seq.reverse(yr), ly.outW(), null), half, acc.read(a, n), 1.0);
                    Tensor next = be.add(x, mix);
                    s.write(a, next);
                    if (o.keepLayerOutputs()) outs.collect("layer." + l + ".output", next, Seq.identity(n), a);
                }
                ledger.releaseState(bs.bytes());
            }
            Tensor pre = null;
            for (int[] ch : Sweep.forward(len, o.chunk())) {
                int a = ch[0], n = ch[1] - ch[0];
                Tensor f = be.rmsNorm(s.read(a, n), normF, cfg.eps());
                outs.emit("output.features", a, f);
                if (a <= emb.c && emb.c < a + n) pre = f.sliceAxis1(emb.c - a, emb.c - a + 1).reshape(bsz, d);
            }
            outs.into(result);
            result.put("output.pre_logits", pre);
            result.put("output.logits", be.linear(pre, headW, headB));
        }
        return new ModelOutput(result, ledger);
    }
}
