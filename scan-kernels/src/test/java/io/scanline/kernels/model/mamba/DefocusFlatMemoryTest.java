package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.SyntheticImage;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flat-memory property of De-focus's fused pass (spec streaming §4.1): a 512×512 and an 8192×8192
 * synthetic image (pixels generated per window, never materialized) stream through a small random
 * model on the reference backend, and the bytes the planner's ledger reports — carried state and the
 * largest working set of any single op — are identical for both. Per-token features go to a sink that
 * only checks them, so no (B, L, D) output is held either.
 *
 * <p>Model: D 32, E 64, N 8, R 2, depth 2, patch 32 (8192² → 65,536 patch tokens; patch 32 instead
 * of 16 keeps the reference-backend run short), chunks of 256 tokens, so that both images fill
 * whole chunks (512² has 257 tokens) and the largest op is a full chunk in both.
 */
class DefocusFlatMemoryTest {
    private static final int D = 32, E = 64, N = 8, R = 2, DEPTH = 2, PATCH = 32, CHUNK = 256;

    private record Run(MemoryLedger ledger, long featureRows, long tokens) {}

    private static Run stream(StreamingModel model, int side) {
        AtomicLong rows = new AtomicLong();
        StreamOptions o = StreamOptions.defaults().withChunk(CHUNK).withTokenSink((key, first, t) -> {
            if (!key.equals("output.features")) return;
            float[] v = t.f32();
            for (float x : v) assertTrue(Float.isFinite(x), "non-finite feature at token " + first);
            rows.addAndGet(t.dim(1));
        });
        ModelOutput out = model.forward(new ReferenceBackend(), new SyntheticImage(1, side, side, 5), o);
        Tensor logits = out.get("output.logits");
        assertEquals(3, logits.dim(1));
        for (float x : logits.f32()) assertTrue(Float.isFinite(x));
        assertEquals(null, out.get("output.features"), "features must go to the sink, not be accumulated");
        long tokens = (long) (side / PATCH) * (side / PATCH) + 1;
        return new Run(out.memory(), rows.get(), tokens);
    }

    @Test
    void carriedStateAndPeakOpBytesDoNotGrowWithTheImage() {
        DefocusMambaFamily fam = new DefocusMambaFamily();
        JsonNode cfg = DefocusMambaFamily.config(D, E, N, R, DEPTH, PATCH, 3);
        StreamingModel model = fam.build(cfg, fam.randomWeights(cfg, 11));

        Run small = stream(model, 512);
        Run big = stream(model, 8192);

        assertEquals(small.tokens(), small.featureRows(), "every token's features reach the sink (512²)");
        assertEquals(big.tokens(), big.featureRows(), "every token's features reach the sink (8192²)");
        assertEquals(65_537, big.tokens());

        long expectedState = 4L * DEPTH * ((4 - 1) * E + (long) E * N);   // fp32 conv tail + h per block
        assertEquals(expectedState, small.ledger().peakStateBytes(), "carried state (512²)");
        assertEquals(expectedState, big.ledger().peakStateBytes(), "carried state (8192²)");
        Plan plan = model.plan(8192 / PATCH, 8192 / PATCH);
        assertEquals(expectedState, 4 * plan.carriedStateFloatsPerImage(), "plan reports the same state");
        assertEquals(0, plan.barriers());

        assertTrue(small.ledger().peakOpBytes() > 0);
        assertEquals(small.ledger().peakOpBytes(), big.ledger().peakOpBytes(),
                "largest op working set: 512² " + small.ledger() + " vs 8192² " + big.ledger());
        assertEquals(0, big.ledger().peakStoreMemoryBytes() + big.ledger().peakStoreDiskBytes(), "no barrier store");
    }
}
