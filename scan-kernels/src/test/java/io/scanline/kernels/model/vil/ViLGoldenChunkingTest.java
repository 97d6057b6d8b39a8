package io.scanline.kernels.model.vil;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.scanline.kernels.model.FamilyGoldenSupport.GOLDEN_TOL;
import static io.scanline.kernels.model.FamilyGoldenSupport.assertGolden;
import static io.scanline.kernels.model.FamilyGoldenSupport.assertSameOutputs;
import static io.scanline.kernels.model.FamilyGoldenSupport.build;
import static io.scanline.kernels.model.FamilyGoldenSupport.golden;
import static io.scanline.kernels.model.FamilyGoldenSupport.image;
import static io.scanline.kernels.model.FamilyGoldenSupport.options;
import static io.scanline.kernels.model.FamilyGoldenSupport.reference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ViL golden cases streamed with chunking inside every pass (spec streaming §2, "every model" row):
 * chunk sizes 1, 7, 64, Wp−1, Wp, Wp+1 and whole, cuts inside the first and last grid row (the conv
 * halo), empty chunks; each run matches the golden at 1e-4 and the whole-sequence run of the same
 * backend at 1e-5 (dense ops are per token, so only the mLSTM sums can be reordered by chunking).
 */
class ViLGoldenChunkingTest {
    /** Chunked vs whole on one backend: only the chunkwise mLSTM reorders sums (measured ≤ 1e-6). */
    static final double CHUNK_TOL = 1e-5;

    private final Backend be = reference();

    private void chunkSizes(String caseName, int wp, int[] extra) {
        GoldenCase g = golden(caseName);
        StreamingModel model = build(g);
        ModelOutput whole = model.forward(be, image(g), options(0));
        assertGolden(g, whole, GOLDEN_TOL, caseName + " whole");
        int[] base = {1, 7, 64, wp - 1, wp, wp + 1};
        for (int[] set : new int[][] {base, extra}) {
            for (int c : set) {
                ModelOutput out = model.forward(be, image(g), options(c));
                assertGolden(g, out, GOLDEN_TOL, caseName + " chunk " + c);
                assertSameOutputs(whole, out, CHUNK_TOL, caseName + " chunk " + c + " vs whole");
            }
        }
    }

    @Test
    void vil2Small_everyChunkSize() {
        chunkSizes("vil2_d2_64x64", 4, new int[] {2, 15, 16});
    }

    @Test
    void vil1Small_everyChunkSize() {
        chunkSizes("vil1_d4_64x64", 4, new int[] {2, 15, 16});
    }

    @Test
    void vil2Large_chunksAroundTheRowLength() {
        GoldenCase g = golden("vil2_d2_224x224");
        StreamingModel model = build(g);
        ModelOutput whole = model.forward(be, image(g), options(0));
        assertGolden(g, whole, GOLDEN_TOL, "224 whole");
        for (int c : new int[] {13, 14, 15, 64}) {
            ModelOutput out = model.forward(be, image(g), options(c));
            assertGolden(g, out, GOLDEN_TOL, "224 chunk " + c);
            assertSameOutputs(whole, out, CHUNK_TOL, "224 chunk " + c + " vs whole");
        }
    }

    @Test
    void cutsInsideFirstAndLastRowAndEmptyChunks() {
        for (String name : List.of("vil2_d2_64x64", "vil1_d4_64x64")) {
            GoldenCase g = golden(name);
            ViLModel model = (ViLModel) build(g);
            ModelOutput whole = model.forward(be, image(g), options(0));
            // S = 16, Wp = 4: cuts inside row 0, an empty chunk, a cut at a row end, cuts inside the last row
            ModelOutput out = model.forward(be, image(g), options(0), len -> Chunks.at(len, 0, 1, 3, 3, 8, 13, 15, len));
            assertGolden(g, out, GOLDEN_TOL, name + " odd cuts");
            assertSameOutputs(whole, out, CHUNK_TOL, name + " odd cuts vs whole");
        }
    }

    @Test
    void everyMlstmFormMatchesTheGolden() {
        for (String name : List.of("vil2_d2_64x64", "vil1_d4_64x64")) {
            GoldenCase g = golden(name);
            StreamingModel model = build(g);
            for (MlstmForm f : MlstmForm.values()) {
                for (int c : new int[] {1, 5, 0}) {
                    StreamOptions o = options(c).withForms(f, SsdForm.CHUNKED);
                    assertGolden(g, model.forward(be, image(g), o), GOLDEN_TOL, name + " " + f + " chunk " + c);
                }
            }
        }
    }

    @Test
    void planHasOnePassPerSubBlockAndABarrierBetweenThem() {
        GoldenCase g = golden("vil2_d2_64x64");
        var plan = build(g).plan(4, 4);
        assertEquals(4, plan.passes().size(), plan.describe());
        assertEquals(3, plan.barriers(), plan.describe());
        assertEquals(192, plan.storeFloatsPerToken());
        // 4 heads of DH = 96: C, n and m per head (spec streaming §4.2: 37,252 floats)
        assertEquals(37_252, plan.carriedStateFloatsPerImage());
        assertTrue(plan.passes().get(1).order() == io.scanline.kernels.model.Plan.Order.REVERSE, plan.describe());
        var v1 = build(golden("vil1_d4_64x64")).plan(4, 4);
        assertEquals(37_252 + 3 * 384, v1.carriedStateFloatsPerImage(), v1.describe());
    }
}
