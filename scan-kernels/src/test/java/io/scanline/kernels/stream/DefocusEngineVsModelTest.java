package io.scanline.kernels.stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.mamba.DefocusMambaFamily;
import io.scanline.kernels.model.mamba.DefocusMambaModel;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The push engine against the model's own whole-image forward on a random De-focus with odd sizes
 * (D 24, E 48, 3×5 patch grid of 8 px, 5 classes) and the MLP heads of De-focus Large. Both run the
 * same per-token fp32 ops on the reference backend; only chunking and batching differ, so 1e-5
 * relative bounds reordering of the conv tail / scan carry, nothing else.
 */
class DefocusEngineVsModelTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4, 14, 15})
    void chunkedEngineEqualsWholeModel(int chunk) {
        ObjectNode cfg = DefocusMambaFamily.config(24, 48, 4, 3, 2, 8, 5);
        cfg.put("group_norm_size", 16).put("head_type", "IN22kto1k_cls");
        DefocusMambaFamily fam = new DefocusMambaFamily();
        DefocusMambaModel model = (DefocusMambaModel) fam.build(cfg, fam.randomWeights(cfg, 7));
        float[] px = new float[3 * 24 * 41];   // 41 px wide: the 1 px remainder is cropped
        Random r = new Random(3);
        for (int i = 0; i < px.length; i++) px[i] = (float) r.nextGaussian();
        ImageSource img = ImageSource.of(Tensor.of(px, 1, 3, 24, 41));
        ReferenceBackend be = new ReferenceBackend();
        ModelOutput whole = model.forward(be, img, StreamOptions.defaults().withChunk(0));

        DefocusScanEngine engine = new DefocusScanEngine(model, be);
        ImageHeader h = new ImageHeader("x", Patches.gridH(img, 8), Patches.gridW(img, 8));
        ImageScan s = engine.open(h);
        float[] feats = new float[h.tokens() * 24], tl = new float[h.tokens() * 5];
        for (int t = 0; t < h.tokens(); t += chunk) {
            ChunkOutput o = s.accept(Patches.range(img, 8, t, Math.min(h.tokens(), t + chunk)));
            System.arraycopy(o.features().f32(), 0, feats, t * 24, o.features().numel());
            System.arraycopy(o.tokenLogits().f32(), 0, tl, t * 5, o.tokenLogits().numel());
        }
        FinalOutput f = s.finish();
        check("features", Tensor.of(feats, 1, 15, 24), whole.get("output.features").toF32().sliceAxis1(0, 15));
        check("token logits", Tensor.of(tl, 1, 15, 5), whole.get("output.logits_all_tokens").toF32().sliceAxis1(0, 15));
        check("logits", Tensor.of(f.logits(), 1, 5), whole.get("output.logits").toF32());
        check("pre-logits", Tensor.of(f.preLogits(), 1, 24), whole.get("output.pre_logits").toF32());
    }

    private static void check(String what, Tensor got, Tensor want) {
        Comparison c = Comparison.relative(what, got, want, 1e-5);
        assertTrue(c.pass(), c.format());
    }
}
