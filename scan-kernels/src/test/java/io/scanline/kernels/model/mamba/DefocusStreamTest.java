package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.SyntheticImage;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * De-focus streaming beyond the goldens: restoring a snapshotted carried state into a fresh stream,
 * and the tile token order (D5), which has no golden case and is checked against an equivalent raster
 * run instead.
 */
class DefocusStreamTest {

    @Test
    void snapshotRestoreContinuesIdentically() throws Exception {
        GoldenCase g = GoldenFixture.load("defocus_mamba_d3_64x64");
        DefocusMambaModel model = (DefocusMambaModel) GoldenFixture.model(g);
        ImageSource img = ImageSource.of(g.tensor("input.image").toF32());
        StreamOptions o = StreamOptions.defaults().withChunk(5).withLayerOutputs(true);
        ModelOutput whole = model.forward(new ReferenceBackend(), img, o);

        for (int cut : new int[] {1, 3, 9, 16}) {   // inside the first chunk, mid-grid, right before the class token
            MemoryLedger l1 = new MemoryLedger(Long.MAX_VALUE, 2);
            DefocusStream first = model.open(new ReferenceBackend(), img, o, l1, new CarriedState());
            first.advanceTo(cut);
            CarriedState saved = CarriedState.of(first.state().snapshot().tensors(), first.state().position());
            first.advanceTo(first.length());   // the original stream moving on must not affect the snapshot

            java.util.Map<Integer, Tensor> seen = new java.util.TreeMap<>();   // token -> (B, 1, D) features
            StreamOptions sinkOpts = o.withLayerOutputs(false).withTokenSink((key, t0, rows) -> {
                if (!key.equals("output.features")) return;
                for (int i = 0; i < rows.dim(1); i++) seen.put(t0 + i, rows.sliceAxis1(i, i + 1));
            });
            DefocusStream resumed = model.open(new ReferenceBackend(), img, sinkOpts, new MemoryLedger(Long.MAX_VALUE, 2), saved);
            assertEquals(cut, resumed.state().position());
            resumed.advanceTo(resumed.length());
            ModelOutput out = resumed.finish();
            assertArrayEquals(whole.get("output.logits").f32(), out.get("output.logits").f32(), "logits after restore at " + cut);
            assertEquals(17 - cut, seen.size(), "the resumed stream emits exactly the tokens after the cut");
            for (java.util.Map.Entry<Integer, Tensor> e : seen.entrySet()) {
                int t = e.getKey();
                assertArrayEquals(whole.get("output.features").sliceAxis1(t, t + 1).f32(), e.getValue().f32(),
                        "features of token " + t + " after restore at " + cut);
            }
        }
    }

    @Test
    void tileOrderWithOneTileIsRasterOrder() throws Exception {
        GoldenCase g = GoldenFixture.load("defocus_mamba_d3_64x64");
        ObjectNode cfg = g.config().deepCopy();
        cfg.put("token_order", "tile").put("tile_size", 64);
        DefocusMambaModel tiled = (DefocusMambaModel) new DefocusMambaFamily().build(cfg, Weights.load(g.dir(), g.config()));
        ModelOutput out = GoldenFixture.run(tiled, g, GoldenFixture.opts(7));
        GoldenFixture.assertMatchesGolden(g, out, "tile order, one 64-pixel tile");
    }

    /**
     * Tile order over a 96×80 image with 32-pixel tiles (padded to 96×96: 3×3 tiles of 2×2 patches,
     * cropped to 6×5 outputs) equals raster order over a one-patch-row image whose patches are the
     * padded image's patches laid out in tile order: same tokens, same RoPE positions.
     */
    @Test
    void tileOrderEqualsRasterOverTheReorderedPatches() {
        DefocusMambaFamily fam = new DefocusMambaFamily();
        ObjectNode cfg = DefocusMambaFamily.config(16, 32, 4, 2, 2, 16, 5);
        Weights wR = fam.randomWeights(cfg, 3), wT = fam.randomWeights(cfg, 3);
        DefocusMambaModel raster = (DefocusMambaModel) fam.build(cfg, wR);
        ObjectNode tcfg = cfg.deepCopy();
        tcfg.put("token_order", "tile").put("tile_size", 32);
        DefocusMambaModel tiled = (DefocusMambaModel) fam.build(tcfg, wT);

        SyntheticImage src = new SyntheticImage(1, 96, 80, 9);
        TokenOrder order = TokenOrder.tile(96, 80, 16, 16, 32);
        assertEquals(36, order.patches());
        PaddedImageSource padded = new PaddedImageSource(src, 96, 96);
        float[] strip = new float[3 * 16 * 16 * order.patches()];
        int stripW = 16 * order.patches();
        for (int s = 0; s < order.patches(); s++) {
            float[] px = padded.region(order.row(s) * 16, order.row(s) * 16 + 16, order.col(s) * 16, order.col(s) * 16 + 16).f32();
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 16; y++) System.arraycopy(px, (c * 16 + y) * 16, strip, (c * 16 + y) * stripW + s * 16, 16);
        }
        StreamOptions o = StreamOptions.defaults().withChunk(3);
        ModelOutput ref = raster.forward(new ReferenceBackend(), ImageSource.of(Tensor.of(strip, 1, 3, 16, stripW)), o);
        ModelOutput got = tiled.forward(new ReferenceBackend(), src, o.withChunk(4));   // tile boundaries every 4 tokens

        assertArrayEquals(ref.get("output.logits").f32(), got.get("output.logits").f32(), 1e-6f);
        Tensor fr = ref.get("output.features"), ft = got.get("output.features");
        assertArrayEquals(new int[] {1, 31, 16}, ft.shape(), "6×5 cropped grid + class token");
        for (int s = 0; s < order.patches(); s++) {
            int slot = order.outIndex(s);
            if (slot < 0) continue;
            assertArrayEquals(fr.sliceAxis1(s, s + 1).f32(), ft.sliceAxis1(slot, slot + 1).f32(), 1e-6f, "scan index " + s);
        }
        assertArrayEquals(fr.sliceAxis1(36, 37).f32(), ft.sliceAxis1(30, 31).f32(), 1e-6f, "class token");
    }

    /** De-focus Large heads (head_type IN22kto1k_cls): logits = head.2(tanh(head.0(pre_logits))). */
    @Test
    void mlpHeadsOfTheLargeModel() {
        DefocusMambaFamily fam = new DefocusMambaFamily();
        ObjectNode cfg = DefocusMambaFamily.config(16, 32, 4, 2, 1, 16, 3);
        cfg.put("head_type", "IN22kto1k_cls");
        java.util.Map<String, Tensor> w = fam.randomTensors(cfg, 8);
        ModelOutput out = fam.build(cfg, new Weights("t", w)).forward(new ReferenceBackend(), new SyntheticImage(1, 32, 48, 2),
                StreamOptions.defaults().withChunk(2));
        float[] pre = out.get("output.pre_logits").f32(), logits = out.get("output.logits").f32();
        float[] w0 = w.get("head.0.weight").f32(), b0 = w.get("head.0.bias").f32(), w2 = w.get("head.2.weight").f32(), b2 = w.get("head.2.bias").f32();
        double[] hid = new double[48];
        for (int j = 0; j < 48; j++) {
            double a = b0[j];
            for (int i = 0; i < 16; i++) a += w0[j * 16 + i] * pre[i];
            hid[j] = Math.tanh(a);
        }
        for (int k = 0; k < 3; k++) {
            double a = b2[k];
            for (int j = 0; j < 48; j++) a += w2[k * 48 + j] * hid[j];
            assertEquals(a, logits[k], 1e-5, "logit " + k);
        }
        assertArrayEquals(new int[] {1, 7, 3}, out.get("output.logits_all_tokens").shape(), "2×3 patches + class token");
    }
}
