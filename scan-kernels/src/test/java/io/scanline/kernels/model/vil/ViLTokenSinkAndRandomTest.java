package io.scanline.kernels.model.vil;

import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.RandomModels;
import io.scanline.kernels.model.TokenLayout;
import io.scanline.kernels.model.adventurer.AdventurerFamily;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.scanline.kernels.model.FamilyGoldenSupport.GOLDEN_TOL;
import static io.scanline.kernels.model.FamilyGoldenSupport.build;
import static io.scanline.kernels.model.FamilyGoldenSupport.golden;
import static io.scanline.kernels.model.FamilyGoldenSupport.image;
import static io.scanline.kernels.model.FamilyGoldenSupport.options;
import static io.scanline.kernels.model.FamilyGoldenSupport.reference;
import static io.scanline.kernels.model.FamilyGoldenSupport.relErr;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-token outputs through a token sink (not accumulated), and the RandomModels side of the families. */
class ViLTokenSinkAndRandomTest {

    @Test
    void featuresStreamThroughTheSinkAndLogitsStillMatch() {
        for (String name : List.of("vil2_d2_64x64", "vil1_d4_64x64", "adventurer_d4_e128_64x64")) {
            GoldenCase g = golden(name);
            Tensor ref = g.tensor("output.features");
            Tensor got = Tensor.zeros(ref.shape());
            int[] calls = {0};
            ModelOutput out = build(g).forward(reference(), image(g), options(5).withTokenSink((key, t0, rows) -> {
                assertTrue(key.equals("output.features"), key);
                TokenLayout.place(got, t0, rows);
                calls[0]++;
            }));
            assertNull(out.get("output.features"), name + ": features must not be accumulated with a sink");
            assertTrue(calls[0] >= ref.dim(1) / 5, name + ": sink called " + calls[0] + " times");
            assertTrue(relErr(got, ref) <= GOLDEN_TOL, name + " features via sink: " + relErr(got, ref));
            assertTrue(relErr(out.get("output.logits"), g.tensor("output.logits")) <= GOLDEN_TOL, name + " logits");
        }
    }

    @Test
    void randomModelsBuildAndRunFinite() {
        for (ModelFamily f : List.of(new Vil2Family(), new Vil1Family(), new AdventurerFamily())) {
            RandomModels r = (RandomModels) f;
            var cfg = r.benchConfig();
            var model = f.build(cfg, r.randomWeights(cfg, 1));
            ModelOutput out = model.forward(reference(), io.scanline.kernels.model.ImageSource.of(
                    new io.scanline.kernels.bench.RandomTensors(2).normal(0, 1, 1, 3, 64, 48)), options(7));
            for (float v : out.get("output.logits").f32()) assertTrue(Float.isFinite(v), f.name());
        }
    }
}
