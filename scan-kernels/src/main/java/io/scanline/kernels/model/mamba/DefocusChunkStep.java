package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.util.List;

/**
 * De-focus Mamba's fused pass stepped over pre-cut patch chunks of several images at once, for push
 * style streaming: image i brings its own {@link CarriedState} (batch 1) and its chunk; chunks of
 * equal length go through patch embedding, every {@link DefocusMixer}, the final norm and head2 as
 * ONE batched call, the states being stacked along B and written back. The math is the model's own
 * ({@link DefocusMixer}, {@link Head}); this class only batches independent images (raster order).
 *
 * <p>Glossary: B images of a bundle, n patches per chunk, ps patch size, D width, K classes,
 * M patch tokens of an image (the class token is scanned last, at position M).
 */
public final class DefocusChunkStep {
    private final DefocusMambaModel m;

    public DefocusChunkStep(DefocusMambaModel model) {
        if (!model.cfg.tokenOrder().equals("raster")) {
            throw new IllegalArgumentException("defocus_mamba: token_order '" + model.cfg.tokenOrder()
                    + "' cannot be streamed from raster chunks (raster only)");
        }
        this.m = model;
    }

    public int patchSize() { return m.cfg.patch(); }

    public int width() { return m.cfg.d(); }

    public int classes() { return m.cfg.classes(); }

    public int depth() { return m.blocks.length; }

    /** A zero state of one image: every block's conv tail (1, K−1, E) and h (1, E, N), position 0. */
    public CarriedState fresh() {
        CarriedState s = new CarriedState();
        directions(s);
        return s;
    }

    private DirectionState[] directions(CarriedState s) {
        DirectionState[] d = new DirectionState[m.blocks.length];
        for (int b = 0; b < d.length; b++) d[b] = s.direction("blocks." + b + ".mixer", 1, m.blocks[b].params());
        return d;
    }

    /**
     * Patch tokens of one chunk per image: embeds the strip, runs all blocks with the images' states
     * (advanced in place by n) and returns the final-norm features.
     *
     * @param strip  (B, 3, ps, n·ps) the chunks' patches side by side, image i in row i
     * @param states B states, one per image, each of batch 1
     * @return (B, n, D) final-norm features
     */
    public Tensor patches(Backend be, Tensor strip, List<CarriedState> states) {
        if (strip.dim(0) != states.size()) throw new IllegalArgumentException(strip.dim(0) + " images but " + states.size() + " states");
        Tensor x = be.patchEmbed(strip, m.patchW, m.patchB, m.cfg.patch());
        return blocksAndNorm(be, x, states);
    }

    /** head2 on features (…, D) → (…, K): per-patch logits. */
    public Tensor tokenLogits(Backend be, Tensor features) {
        return m.head2.apply(be, features);
    }

    /**
     * The class token (last, at the state's position M) through all blocks, then the head.
     *
     * @return {logits (1, 1, K), class-token features (1, 1, D)}
     */
    public Tensor[] classToken(Backend be, CarriedState state) {
        Tensor f = blocksAndNorm(be, m.cls, List.of(state));
        return new Tensor[] {m.head.apply(be, f), f};
    }

    private Tensor blocksAndNorm(Backend be, Tensor x, List<CarriedState> states) {
        int b = states.size(), n = x.dim(1);
        long[] pos0 = new long[b];
        DirectionState[][] per = new DirectionState[b][];
        for (int i = 0; i < b; i++) {
            pos0[i] = states.get(i).position();
            per[i] = directions(states.get(i));
        }
        for (int l = 0; l < m.blocks.length; l++) {
            Tensor[] tails = new Tensor[b], hs = new Tensor[b];
            for (int i = 0; i < b; i++) {
                tails[i] = per[i][l].tail();
                hs[i] = per[i][l].h();
            }
            DirectionState stacked = new DirectionState(stack(be, tails), stack(be, hs));
            x = m.blocks[l].forward(be, x, stacked, pos0);
            scatter(be, stacked.tail(), tails);
            scatter(be, stacked.h(), hs);
        }
        for (CarriedState s : states) s.advance(n);
        return be.layerNorm(x, m.normW, m.normB, DefocusConfig.FINAL_NORM_EPS);
    }

    /** (1, …) × B → (B, …) by the backend (on the device for a device backend); a single part is used as is, so the op updates it in place. */
    private static Tensor stack(Backend be, Tensor[] parts) {
        return parts.length == 1 ? parts[0] : be.stackStates(java.util.List.of(parts));
    }

    private static void scatter(Backend be, Tensor stacked, Tensor[] targets) {
        if (targets.length == 1 && targets[0] == stacked) return;
        be.unstackStates(stacked, java.util.List.of(targets));
    }
}
