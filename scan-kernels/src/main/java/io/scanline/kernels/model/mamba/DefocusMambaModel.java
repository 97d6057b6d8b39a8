package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.MeteredBackend;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * De-focus Mamba (spec models §6) as ONE fused pass (spec streaming §4.1): every chunk is embedded and
 * flows through all blocks, each carrying its conv tail and SSM state, plus the global RoPE position;
 * the final LayerNorm and head2 are per token, the class token (last) gives the logits.
 *
 * <p>Glossary: B images, M patches, L = M + 1 tokens, D width, E inner width, N state size.
 */
public final class DefocusMambaModel implements StreamingModel {
    final DefocusConfig cfg;
    final Tensor patchW, patchB, cls, normW, normB;
    final DefocusMixer[] blocks;
    final Head head, head2;

    DefocusMambaModel(DefocusConfig c, Weights w) {
        this.cfg = c;
        int d = c.d();
        this.patchW = w.get("patch_embed.proj.weight", d, 3, c.patch(), c.patch());
        this.patchB = w.get("patch_embed.proj.bias", d);
        this.cls = w.get("cls_token", 1, 1, d);
        this.blocks = new DefocusMixer[c.depth()];
        for (int b = 0; b < c.depth(); b++) {
            blocks[b] = new DefocusMixer(w, "blocks." + b + ".", d, c.e(), c.n(), c.r(), c.k(), c.groupSize(), c.eps(),
                    c.rho(), c.deltaScale());
        }
        this.normW = w.get("norm.weight", d);
        this.normB = w.get("norm.bias", d);
        this.head = c.mlpHeads() ? Head.mlp(w, "head", d, c.classes()) : Head.linear(w, "head", d, c.classes());
        this.head2 = c.mlpHeads() ? Head.mlp(w, "head2", d, c.classes()) : Head.linear(w, "head2", d, c.classes());
        w.requireAllUsed();
    }

    @Override
    public String family() { return DefocusMambaFamily.NAME; }

    public String tokenOrder() { return cfg.tokenOrder(); }

    @Override
    public Plan plan(int hp, int wp) {
        List<String> layers = new ArrayList<>();
        layers.add("patch_embed" + (cfg.tokenOrder().equals("tile") ? " (tile order, tile " + cfg.tileSize() + ")" : ""));
        for (int b = 0; b < cfg.depth(); b++) layers.add("blocks." + b);
        layers.add("norm");
        layers.add("head2 (per patch)");
        layers.add("head (class token, last)");
        // carried: depth × (conv tail (K−1)·E + h E·N) floats, plus one int64 RoPE position
        return new Plan(family(), List.of(new Plan.Pass("fused", Plan.Order.FORWARD, layers, false)),
                cfg.stateFloatsPerImage(), 0);
    }

    /** Opens a stream over a batch of images with a fresh (or restored) carried state. */
    public DefocusStream open(Backend backend, ImageSource image, StreamOptions options, MemoryLedger ledger,
                              CarriedState state) {
        return new DefocusStream(this, backend, image, options, ledger, state);
    }

    @Override
    public ModelOutput forward(Backend backend, ImageSource image, StreamOptions options) {
        MemoryLedger ledger = new MemoryLedger(options.maxImageBytes(), image.batch());
        DefocusStream s = open(new MeteredBackend(backend, ledger), image, options, ledger, new CarriedState());
        s.advanceTo(s.length());
        return s.finish();
    }
}
