package io.scanline.kernels.model.adventurer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.FamilyGoldenSupport;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static io.scanline.kernels.model.FamilyGoldenSupport.GOLDEN_TOL;
import static io.scanline.kernels.model.FamilyGoldenSupport.assertGolden;
import static io.scanline.kernels.model.FamilyGoldenSupport.assertSameOutputs;
import static io.scanline.kernels.model.FamilyGoldenSupport.build;
import static io.scanline.kernels.model.FamilyGoldenSupport.golden;
import static io.scanline.kernels.model.FamilyGoldenSupport.image;
import static io.scanline.kernels.model.FamilyGoldenSupport.options;
import static io.scanline.kernels.model.FamilyGoldenSupport.reference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adventurer streamed in depth + 1 passes: golden cases at every chunking and both SSD forms, cuts
 * around the heading-average and class slots, the flip_layers knob, spill, random non-square grids
 * with a resized table, and errors naming keys. Chunked vs whole on one backend: 1e-5 (dense ops are
 * per token; only the chunked SSD reorders sums).
 */
class AdventurerStreamingTest {
    static final double CHUNK_TOL = 1e-5;
    private final Backend be = reference();

    /** Restore level (streaming §2): reference per-token arithmetic does not see the cut, so bits must match. */
    @Test
    void stateSerializedAfterEveryChunkAndRestoredIntoFreshPassesContinuesIdentically() {
        GoldenCase g = golden("adventurer_d4_e128_64x64");
        AdventurerModel model = (AdventurerModel) build(g);
        for (int c : new int[] {5, 16}) {   // 16 = the grid size: cuts right before the class slot
            ModelOutput plain = model.forward(be, image(g), options(c), len -> Chunks.fixed(len, c), null);
            ModelOutput restored = model.forward(be, image(g), options(c), len -> Chunks.fixed(len, c),
                    FamilyGoldenSupport::serializeRoundTrip);
            FamilyGoldenSupport.assertBitIdentical(plain, restored, "chunk " + c + " restored after every chunk");
            assertGolden(g, restored, GOLDEN_TOL, "chunk " + c + " restored");
        }
    }

    @Test
    void smallCaseEveryChunkSizeAndForm() {
        GoldenCase g = golden("adventurer_d4_e128_64x64");
        AdventurerModel model = (AdventurerModel) build(g);
        ModelOutput whole = model.forward(be, image(g), options(0));
        assertGolden(g, whole, GOLDEN_TOL, "whole");
        for (SsdForm f : SsdForm.values()) {
            for (int c : new int[] {1, 3, 4, 5, 7, 16, 17, 18, 64}) {
                ModelOutput out = model.forward(be, image(g), options(c).withForms(MlstmForm.CHUNKWISE, f));
                assertGolden(g, out, GOLDEN_TOL, f + " chunk " + c);
                assertSameOutputs(whole, out, CHUNK_TOL, f + " chunk " + c + " vs whole");
            }
        }
    }

    @Test
    void cutsAroundTheAverageAndClassSlots() {
        GoldenCase g = golden("adventurer_d4_e128_64x64");
        AdventurerModel model = (AdventurerModel) build(g);
        ModelOutput whole = model.forward(be, image(g), options(0));
        // embedding pass: L = 17, class at 16; layer passes: L + 1 = 18, average at 0, class at 17
        ModelOutput out = model.forward(be, image(g), options(0),
                len -> Chunks.at(len, 0, 1, 1, 2, len - 2, len - 1, len - 1, len));
        assertGolden(g, out, GOLDEN_TOL, "slot cuts");
        assertSameOutputs(whole, out, CHUNK_TOL, "slot cuts vs whole");
    }

    @Test
    void largeCaseAroundTheRowLength() {
        GoldenCase g = golden("adventurer_d4_e128_224x224");
        AdventurerModel model = (AdventurerModel) build(g);
        ModelOutput whole = model.forward(be, image(g), options(0));
        assertGolden(g, whole, GOLDEN_TOL, "224 whole");
        for (int c : new int[] {14, 197}) {
            ModelOutput out = model.forward(be, image(g), options(c));
            assertGolden(g, out, GOLDEN_TOL, "224 chunk " + c);
            assertSameOutputs(whole, out, CHUNK_TOL, "224 chunk " + c + " vs whole");
        }
    }

    @Test
    void flipLayersDefaultIsTheReleasedScheduleAndTheKnobIsWired() throws IOException {
        GoldenCase g = golden("adventurer_d4_e128_64x64");
        ObjectNode cfg = g.config().deepCopy();
        cfg.remove("flip_layers");   // D3 default n // 2 == 1 = [F, F, T, T], what the golden encodes
        ModelOutput dflt = new AdventurerFamily().build(cfg, Weights.load(g.dir(), g.config())).forward(be, image(g), options(5));
        assertGolden(g, dflt, GOLDEN_TOL, "default flip schedule");
        ArrayNode none = cfg.putArray("flip_layers");
        for (int i = 0; i < 4; i++) none.add(false);
        ModelOutput noFlip = new AdventurerFamily().build(cfg, Weights.load(g.dir(), g.config())).forward(be, image(g), options(5));
        double diff = FamilyGoldenSupport.relErr(noFlip.get("layer.2.output"), g.tensor("layer.2.output"));
        assertTrue(diff > 1e-3, "flip_layers had no effect on layer 2: " + diff);
        assertTrue(FamilyGoldenSupport.relErr(noFlip.get("layer.1.output"), g.tensor("layer.1.output")) < GOLDEN_TOL,
                "unflipped layers must not change");
        Plan plan = build(g).plan(4, 4);
        assertEquals(5, plan.passes().size(), plan.describe());
        assertEquals(4, plan.barriers(), plan.describe());
        assertEquals(Plan.Order.REVERSE, plan.passes().get(3).order(), plan.describe());
        // conv tail 3 × (256 + 128) + SSD 4 × 64 × 64 + fp64 mean (2 × 128)
        assertEquals(3 * 384 + 4 * 64 * 64 + 256, plan.carriedStateFloatsPerImage(), plan.describe());
    }

    @Test
    void tinyBudgetSpillsAndLimitIsAClearError(@TempDir Path spill) {
        GoldenCase g = golden("adventurer_d4_e128_64x64");
        ModelOutput out = build(g).forward(be, image(g), options(3).withSpill(2048, spill));
        // 2 images × 128 floats × 4 B = 1 KiB per token row: 2 rows in memory, 15 on disk
        assertEquals(4L * 2 * 15 * 128, out.memory().peakStoreDiskBytes(), out.memory().toString());
        assertGolden(g, out, GOLDEN_TOL, "spilled");
        StreamOptions tight = options(3).withMaxImageBytes(8_000);
        var e = assertThrows(MemoryLedger.ImageTooLargeException.class, () -> build(g).forward(be, image(g), tight));
        assertTrue(e.getMessage().contains("limit of 8000 bytes"), e.getMessage());
    }

    @Test
    void randomNonSquareGridWithResizedTable() {
        ObjectNode cfg = AdventurerRandom.config(32, 3, 16, 16, 5, 64);
        AdventurerModel m = (AdventurerModel) new AdventurerFamily().build(cfg, AdventurerRandom.weights(cfg, 4, 2));
        for (int[] hw : new int[][] {{48, 80}, {16, 16}, {80, 32}}) {
            ImageSource img = ImageSource.of(new RandomTensors(hw[0] + hw[1]).normal(0, 1, 2, 3, hw[0], hw[1]));
            ModelOutput whole = m.forward(be, img, options(0));
            int wp = hw[1] / 16;
            for (int c : new int[] {1, wp, wp + 1, 7}) {
                assertSameOutputs(whole, m.forward(be, img, options(c)), CHUNK_TOL, hw[0] + "x" + hw[1] + " chunk " + c);
            }
            for (float v : whole.get("output.logits").f32()) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void errorsNameTheKey() {
        ObjectNode cfg = AdventurerRandom.config(32, 2, 16, 16, 5, 64);
        Map<String, Tensor> t = AdventurerRandom.tensors(cfg, 4, 1);
        t.remove("layers.1.mixer.dt_bias");
        String msg = assertThrows(WeightsException.class, () -> new AdventurerFamily().build(cfg, new Weights("t", t))).getMessage();
        assertTrue(msg.contains("layers.1.mixer.dt_bias") && msg.contains("[4]"), msg);

        Map<String, Tensor> t2 = AdventurerRandom.tensors(cfg, 4, 1);
        t2.put("layers.0.mixer.in_proj.weight", Tensor.zeros(100, 32));
        msg = assertThrows(WeightsException.class, () -> new AdventurerFamily().build(cfg, new Weights("t", t2))).getMessage();
        assertTrue(msg.contains("in_proj.weight") && msg.contains("expected [164, 32]"), msg);

        ObjectNode bad = cfg.deepCopy();
        bad.putArray("flip_layers").add(true);
        msg = assertThrows(WeightsException.class, () -> new AdventurerFamily().build(bad, AdventurerRandom.weights(cfg, 4, 1))).getMessage();
        assertTrue(msg.contains("'flip_layers'") && msg.contains("2 booleans"), msg);

        ObjectNode groups = cfg.deepCopy();
        ((ObjectNode) groups.get("ssm_cfg")).put("ngroups", 2);
        msg = assertThrows(WeightsException.class, () -> new AdventurerFamily().build(groups, AdventurerRandom.weights(cfg, 4, 1))).getMessage();
        assertTrue(msg.contains("'ngroups'"), msg);

        ObjectNode layerNorm = cfg.deepCopy();
        layerNorm.put("rms_norm", false);
        msg = assertThrows(WeightsException.class, () -> new AdventurerFamily().build(layerNorm, AdventurerRandom.weights(cfg, 4, 1))).getMessage();
        assertTrue(msg.contains("'rms_norm'"), msg);
    }
}
