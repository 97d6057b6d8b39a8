package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.FamilyGoldenSupport;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static io.scanline.kernels.model.FamilyGoldenSupport.GOLDEN_TOL;
import static io.scanline.kernels.model.FamilyGoldenSupport.assertGolden;
import static io.scanline.kernels.model.FamilyGoldenSupport.build;
import static io.scanline.kernels.model.FamilyGoldenSupport.golden;
import static io.scanline.kernels.model.FamilyGoldenSupport.image;
import static io.scanline.kernels.model.FamilyGoldenSupport.options;
import static io.scanline.kernels.model.FamilyGoldenSupport.reference;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restore level (spec streaming §2) for Vim and ARM: every direction sweep is stopped after each
 * chunk, its carried direction states (conv tail, h; ARM's output sweep also its fp64 pooling sums)
 * written to a safetensors file and read back into fresh state objects, and the sweep continues. On
 * the reference backend the continued run must equal the uninterrupted one bit for bit. A transit that
 * loses the state must change the outputs, so the hook is shown to carry what matters.
 */
class MambaBarrierRestoreTest {
    private final Backend be = reference();

    private static ModelOutput run(StreamingModel m, GoldenCase g, int chunk, UnaryOperator<Map<String, Tensor>> transit) {
        Backend be = reference();
        if (m instanceof VimModel v) return v.forward(be, image(g), options(chunk), transit);
        return ((ArmModel) m).forward(be, image(g), options(chunk), transit);
    }

    @Test
    void restoredSweepsContinueIdentically() {
        for (String name : new String[] {"vim_d2_64x64", "arm_d2_64x64"}) {
            GoldenCase g = golden(name);
            StreamingModel model = build(g);
            for (int c : new int[] {3, 5, 8}) {   // 4x4 grid, L = 17: 8 cuts right before the class slot
                ModelOutput plain = run(model, g, c, null);
                AtomicInteger cuts = new AtomicInteger();
                AtomicInteger nonZero = new AtomicInteger();
                ModelOutput restored = run(model, g, c, snap -> {
                    cuts.incrementAndGet();
                    for (Tensor t : snap.values()) {
                        for (int i = 0; i < t.numel(); i++) {
                            if (t.getDouble(i) != 0) { nonZero.incrementAndGet(); break; }
                        }
                    }
                    return FamilyGoldenSupport.serializeRoundTrip(snap);
                });
                assertTrue(cuts.get() > 3, name + " chunk " + c + ": too few restore points: " + cuts.get());
                assertTrue(nonZero.get() > 0, name + " chunk " + c + ": snapshots carried only zeros");
                FamilyGoldenSupport.assertBitIdentical(plain, restored, name + " chunk " + c + " restored after every chunk");
                assertGolden(g, restored, GOLDEN_TOL, name + " chunk " + c + " restored");
            }
        }
    }

    @Test
    void losingTheStateAtACutChangesTheOutputs() {
        for (String name : new String[] {"vim_d2_64x64", "arm_d2_64x64"}) {
            GoldenCase g = golden(name);
            StreamingModel model = build(g);
            ModelOutput plain = run(model, g, 5, null);
            ModelOutput lost = run(model, g, 5, snap -> {
                Map<String, Tensor> zeros = new LinkedHashMap<>();
                snap.forEach((k, t) -> zeros.put(k, k.startsWith("pool.") ? t : Tensor.zeros(t.shape())));
                return zeros;
            });
            Tensor a = plain.get("output.logits"), b = lost.get("output.logits");
            assertFalse(Arrays.equals(a.f32(), b.f32()), name + ": dropping the carried state did not change the logits");
        }
    }

    @Test
    void aSnapshotOfAnotherShapeIsRejected() {
        GoldenCase g = golden("vim_d2_64x64");
        StreamingModel model = build(g);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(model, g, 5, snap -> {
            Map<String, Tensor> bad = new LinkedHashMap<>(snap);
            bad.put("next.h", Tensor.zeros(1, 1, 1));
            return bad;
        }));
        assertTrue(e.getMessage().contains("next.h"), e.getMessage());
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> run(model, g, 5, snap -> Map.of()));
        assertTrue(missing.getMessage().contains("missing"), missing.getMessage());
    }
}
