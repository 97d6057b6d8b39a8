package io.scanline.kernels.model.vil;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.FamilyGoldenSupport;
import io.scanline.kernels.model.ModelOutput;
import org.junit.jupiter.api.Test;

import static io.scanline.kernels.model.FamilyGoldenSupport.GOLDEN_TOL;
import static io.scanline.kernels.model.FamilyGoldenSupport.assertGolden;
import static io.scanline.kernels.model.FamilyGoldenSupport.build;
import static io.scanline.kernels.model.FamilyGoldenSupport.golden;
import static io.scanline.kernels.model.FamilyGoldenSupport.image;
import static io.scanline.kernels.model.FamilyGoldenSupport.options;
import static io.scanline.kernels.model.FamilyGoldenSupport.reference;

/**
 * Restore level (spec streaming §2) for ViL: every pass is stopped after each chunk, its snapshot
 * (mLSTM state, conv tail, position, window rows already overwritten in the store) written to a
 * safetensors file and read back, and a fresh pass object continues. On the reference backend the
 * continued run must equal the uninterrupted one bit for bit (same arithmetic, same values).
 */
class ViLRestoreTest {
    private final Backend be = reference();

    @Test
    void restoredPassesContinueIdentically() {
        // vil2: grid conv (window keeps the row behind); vil1: causal conv1d tail; 4x4 grids, cuts mid-row
        for (String name : new String[] {"vil2_d2_64x64", "vil1_d4_64x64"}) {
            GoldenCase g = golden(name);
            ViLModel model = (ViLModel) build(g);
            for (int c : new int[] {3, 5}) {
                ModelOutput plain = model.forward(be, image(g), options(c), len -> Chunks.fixed(len, c), null);
                ModelOutput restored = model.forward(be, image(g), options(c), len -> Chunks.fixed(len, c),
                        FamilyGoldenSupport::serializeRoundTrip);
                FamilyGoldenSupport.assertBitIdentical(plain, restored, name + " chunk " + c + " restored after every chunk");
                assertGolden(g, restored, GOLDEN_TOL, name + " chunk " + c + " restored");
            }
        }
    }
}
