package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ChunkEmbedder;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One batch of images streaming through De-focus's fused pass. Tokens are consumed in chunks of
 * {@code options.chunk()}; everything a later chunk needs lives in the {@link CarriedState}, so a
 * stream can stop after any token, snapshot its state, and be continued by a fresh stream restored
 * from it (what a keyed-state operator does).
 *
 * <p>Glossary: B images, M patch tokens (padded grid in tile order), L = M + 1 scan tokens (class last),
 * n tokens of a chunk, D width, classes head outputs.
 */
public final class DefocusStream {
    private final DefocusMambaModel model;
    private final Backend be;
    private final StreamOptions options;
    private final MemoryLedger ledger;
    private final CarriedState state;
    private final DirectionState[] blockStates;
    private final TokenOrder order;
    private final ChunkEmbedder embedder;
    private final TokenOutputs outputs;
    private final int batch, patches, outPatches;
    private Tensor clsFeatures;   // (B, 1, D) once the class token has been scanned
    private final long stateBytes;

    DefocusStream(DefocusMambaModel model, Backend be, ImageSource image, StreamOptions options, MemoryLedger ledger,
                  CarriedState state) {
        DefocusConfig c = model.cfg;
        this.model = model;
        this.be = be;
        this.options = options;
        this.ledger = ledger;
        this.state = state;
        this.batch = image.batch();
        ImageSource src = image;
        if (c.tokenOrder().equals("tile")) {
            order = TokenOrder.tile(image.height(), image.width(), c.patch(), c.patch(), c.tileSize());
            src = new PaddedImageSource(image, order.paddedHeight(c.patch()), order.paddedWidth(c.patch()));
        } else {
            if (image.height() < c.patch() || image.width() < c.patch()) {
                throw new IllegalArgumentException("image " + image.height() + "x" + image.width() + " is smaller than one patch of " + c.patch());
            }
            order = TokenOrder.raster(image.height() / c.patch(), image.width() / c.patch());
        }
        this.patches = order.patches();
        this.outPatches = order.outPatches();
        this.embedder = new ChunkEmbedder(src, model.patchW, model.patchB, c.patch(), order);
        this.outputs = new TokenOutputs(batch, outPatches + 1, options.tokenSink());
        this.blockStates = new DirectionState[model.blocks.length];
        for (int b = 0; b < blockStates.length; b++) {
            blockStates[b] = state.direction("blocks." + b + ".mixer", batch, model.blocks[b].params());
        }
        if (state.position() > length()) throw new IllegalStateException("restored position " + state.position() + " is past the sequence end " + length());
        this.stateBytes = state.bytes();
        ledger.addState(stateBytes);
    }

    /** Scan tokens of this image: patches (padded grid in tile order) plus the class token. */
    public int length() { return patches + 1; }

    public CarriedState state() { return state; }

    /** Scans tokens up to (excluding) t1 in chunks of {@code options.chunk()} (0 = all at once). */
    public void advanceTo(int t1) {
        if (t1 > length()) throw new IllegalArgumentException("token " + t1 + " is past the sequence end " + length());
        while (state.position() < t1) {
            int a = (int) state.position();
            int b = options.chunk() <= 0 ? t1 : Math.min(t1, a + options.chunk());
            chunk(a, b);
        }
    }

    private void chunk(int a, int b) {
        int pEnd = Math.min(b, patches);
        Tensor x = a < pEnd ? embedder.embed(be, a, pEnd) : null;
        if (b > patches) {
            Tensor e = x;
            x = e == null ? broadcastCls() : be.concatAxis1(List.of(e, broadcastCls()));
            be.release(e);
        }
        int n = b - a;
        int[] slot = new int[n];
        for (int i = 0; i < n; i++) slot[i] = a + i < patches ? order.outIndex(a + i) : outPatches;
        if (options.keepLayerOutputs()) outputs.collect("embed.output", x, slot, 0);
        long[] pos0 = new long[batch];
        Arrays.fill(pos0, a);
        // each layer's input is freed once the layer has run (a device backend would leave it to the collector)
        for (int l = 0; l < model.blocks.length; l++) {
            Tensor in = x;
            x = model.blocks[l].forward(be, in, blockStates[l], pos0);
            be.release(in);
            if (options.keepLayerOutputs()) outputs.collect("layer." + l + ".output", x, slot, 0);
        }
        Tensor f = be.layerNorm(x, model.normW, model.normB, DefocusConfig.FINAL_NORM_EPS);
        be.release(x);
        outputs.emit("output.features", f, slot);
        if (pEnd > a) outputs.emit("output.logits_all_tokens", model.head2.apply(be, f.sliceAxis1(0, pEnd - a)), slot);
        if (b > patches) {
            clsFeatures = f.sliceAxis1(n - 1, n);
            int[] clsSlot = {outPatches};
            outputs.emit("output.logits_all_tokens", model.head.apply(be, clsFeatures), clsSlot);
        }
        state.advance(n);
    }

    private Tensor broadcastCls() {
        int d = model.cfg.d();
        float[] out = new float[batch * d];
        for (int b = 0; b < batch; b++) System.arraycopy(model.cls.f32(), 0, out, b * d, d);
        return Tensor.of(out, batch, 1, d);
    }

    /** After the class token: logits, pre-logits and (without a token sink) the per-token outputs. */
    public ModelOutput finish() {
        if (state.position() != length()) throw new IllegalStateException("stream stopped at token " + state.position() + " of " + length());
        Map<String, Tensor> out = new LinkedHashMap<>();
        outputs.into(out);
        int d = model.cfg.d();
        Tensor pre = clsFeatures.reshape(batch, d);
        out.put("output.pre_logits", pre);
        out.put("output.logits", model.head.apply(be, pre));
        ledger.releaseState(stateBytes);
        return new ModelOutput(out, ledger);
    }
}
