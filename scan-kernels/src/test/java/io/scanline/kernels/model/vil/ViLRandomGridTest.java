package io.scanline.kernels.model.vil;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.scanline.kernels.model.FamilyGoldenSupport.assertSameOutputs;
import static io.scanline.kernels.model.FamilyGoldenSupport.options;
import static io.scanline.kernels.model.FamilyGoldenSupport.reference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Grids no golden covers — non-square, odd Wp, a single row, a single token, a table resized to the
 * image grid (D4) — on small random models: every chunking equals the whole-sequence run of the same
 * backend (tolerance as in {@link ViLGoldenChunkingTest#CHUNK_TOL}).
 */
class ViLRandomGridTest {
    private final Backend be = reference();

    private static ImageSource randomImage(int b, int h, int w, long seed) {
        return ImageSource.of(new RandomTensors(seed).normal(0, 1, b, 3, h, w));
    }

    private void chunkInvariant(ViLModel model, int h, int w, String what) {
        ImageSource img = randomImage(2, h, w, 11);
        int wp = w / 16, s = (h / 16) * wp;
        ModelOutput whole = model.forward(be, img, options(0));
        for (Tensor t : whole.tensors().values()) {
            for (float v : t.f32()) assertTrue(Float.isFinite(v), what + ": non-finite output");
        }
        for (int c : new int[] {1, Math.max(1, wp - 1), wp, wp + 1, 7}) {
            assertSameOutputs(whole, model.forward(be, img, options(c)), ViLGoldenChunkingTest.CHUNK_TOL, what + " chunk " + c);
        }
        if (s > 3) {
            assertSameOutputs(whole, model.forward(be, img, options(0), len -> Chunks.at(len, 1, 1, s - 2, s - 1)),
                    ViLGoldenChunkingTest.CHUNK_TOL, what + " cuts at the ends");
        }
    }

    private static ViLModel vil2(int hp0, int wp0) {
        ObjectNode c = ViLRandom.vil2Config(16, 1, 5, 16 * hp0, 16 * wp0);
        return (ViLModel) new Vil2Family().build(c, ViLRandom.weights(c, hp0, wp0, 5));
    }

    @Test
    void vil2NonSquareOddAndDegenerateGrids() {
        ViLModel m = vil2(3, 5);
        chunkInvariant(m, 48, 80, "vil2 3x5");
        chunkInvariant(m, 80, 48, "vil2 5x3 (table resized)");
        chunkInvariant(m, 16, 80, "vil2 1x5");
        chunkInvariant(m, 16, 16, "vil2 1x1");
        chunkInvariant(m, 112, 16, "vil2 7x1");
    }

    @Test
    void vil2CausalConvKind() {
        ObjectNode c = ViLRandom.vil2Config(16, 1, 5, 48, 80);
        c.put("conv_kind", "causal1d");
        Map<String, Tensor> t = ViLRandom.tensors(c, 3, 5, 6);
        RandomTensors r = new RandomTensors(9);
        for (String dir : Vil2Family.DIRS) {
            String p = "blocks.0." + dir + ".layer.conv";
            t.remove(p + ".weight");
            t.put(p + ".conv.weight", r.normal(0, 0.4, 32, 1, 3));   // VisionLSTM2 always builds K = 3
            t.put(p + ".conv.bias", t.remove(p + ".bias"));
        }
        ViLModel m = (ViLModel) new Vil2Family().build(c, new Weights("causal", t));
        assertEquals(37_252 - 4 * (96 * 96 + 96 + 1) + 4 * (8 * 8 + 8 + 1) + 2 * 32, m.plan(3, 5).carriedStateFloatsPerImage());
        chunkInvariant(m, 48, 80, "vil2 causal1d 3x5");
    }

    @Test
    void vil1NonSquareAndStride8() {
        ObjectNode c = ViLRandom.vil1Config(16, 3, 5, 48, 80);
        ViLModel m = (ViLModel) new Vil1Family().build(c, ViLRandom.weights(c, 3, 5, 7));
        chunkInvariant(m, 48, 80, "vil1 3x5");
        chunkInvariant(m, 80, 32, "vil1 5x2 (table resized)");
        c.put("stride", 8);
        ViLModel s8 = (ViLModel) new Vil1Family().build(c, ViLRandom.weights(c, 3, 5, 7));
        // stride 8 on 48x80 px: (48 − 16)/8 + 1 = 5 rows, (80 − 16)/8 + 1 = 9 columns
        ModelOutput out = s8.forward(be, randomImage(1, 48, 80, 3), options(4));
        assertEquals(45, out.get("output.features").dim(1));
        assertSameOutputs(s8.forward(be, randomImage(1, 48, 80, 3), options(0)), out, ViLGoldenChunkingTest.CHUNK_TOL, "stride 8");
    }

    @Test
    void reverseSubBlockReallyRunsReversed() {
        // Same weights in both directions would give the same output only if the BR pass were a no-op flip:
        // swapping the two sub-blocks of a pair must change the result.
        ObjectNode c = ViLRandom.vil2Config(16, 1, 5, 48, 80);
        Map<String, Tensor> t = ViLRandom.tensors(c, 3, 5, 8);
        Map<String, Tensor> swapped = new java.util.LinkedHashMap<>();
        t.forEach((k, v) -> swapped.put(k.replace("rowwise_from_top_left", "@").replace("rowwise_from_bot_right", "rowwise_from_top_left")
                .replace("@", "rowwise_from_bot_right"), v));
        ImageSource img = randomImage(1, 48, 80, 4);
        Tensor a = new Vil2Family().build(c, new Weights("a", t)).forward(be, img, options(0)).get("output.logits");
        Tensor b = new Vil2Family().build(c, new Weights("b", swapped)).forward(be, img, options(0)).get("output.logits");
        assertTrue(io.scanline.kernels.model.FamilyGoldenSupport.relErr(b, a) > 1e-3, "direction swap had no effect");
    }
}
