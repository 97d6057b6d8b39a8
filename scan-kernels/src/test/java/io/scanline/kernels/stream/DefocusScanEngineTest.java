package io.scanline.kernels.stream;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The stream engine against the De-focus golden case (2 images, 64×64, 4×4 patches + class token,
 * 3 blocks), fed chunk by chunk. Tolerance 1e-4 relative: fp32 engine vs the fp64 reference over
 * several blocks (golden README, models tolerance). Restore and bundling must be bit-identical: they
 * run the same per-token arithmetic.
 */
class DefocusScanEngineTest {
    static GoldenCase g;
    static DefocusScanEngine engine;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Path.of(System.getProperty("scanline.shared", "../shared"), "golden", "defocus_mamba_d3_64x64");
        g = GoldenCase.load(dir);
        engine = (DefocusScanEngine) ScanEngines.load(dir, new ReferenceBackend());
    }

    static ImageSource image(int b) {
        return ImageSource.of(g.tensor("input.image").toF32().batch(b));
    }

    record Run(Tensor features, FinalOutput fin) {}

    static Run run(int b, int chunk) {
        ImageSource img = image(b);
        ImageHeader h = new ImageHeader("img" + b, Patches.gridH(img, 16), Patches.gridW(img, 16));
        ImageScan s = engine.open(h);
        List<Tensor> feats = new ArrayList<>();
        for (int t = 0; t < h.tokens(); t += chunk) {
            ChunkOutput o = s.accept(Patches.range(img, 16, t, Math.min(h.tokens(), t + chunk)));
            assertEquals(t, o.firstToken());
            feats.add(o.features().reshape(1, o.tokens(), 192));
        }
        return new Run(Tensor.concatAxis1(feats), s.finish());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 5, 7, 16})
    void chunkedMatchesGolden(int chunk) {
        Tensor refF = g.tensor("output.features").toF32(), refL = g.tensor("output.logits").toF32();
        for (int b = 0; b < 2; b++) {
            Run r = run(b, chunk);
            Tensor patchRef = refF.batch(b).sliceAxis1(0, 16);
            Comparison cf = Comparison.relative("features", r.features(), patchRef, 1e-4);
            assertTrue(cf.pass(), cf.format());
            Comparison cl = Comparison.relative("logits", Tensor.of(r.fin().logits(), 1, 16), refL.batch(b), 1e-4);
            assertTrue(cl.pass(), cl.format());
            Comparison cc = Comparison.relative("cls features", Tensor.of(r.fin().preLogits(), 1, 1, 192),
                    refF.batch(b).sliceAxis1(16, 17), 1e-4);
            assertTrue(cc.pass(), cc.format());
        }
    }

    @Test
    void snapshotRestoreContinuesIdentically() {
        ImageSource img = image(1);
        ImageHeader h = new ImageHeader("img1", 4, 4);
        Run whole = run(1, 5);
        ImageScan a = engine.open(h);
        a.accept(Patches.range(img, 16, 0, 5));
        a.accept(Patches.range(img, 16, 5, 10));
        CarriedState st = a.snapshot();
        assertEquals(10, st.scalar("position"));
        // the original keeps going: the snapshot must be a deep copy
        a.accept(Patches.range(img, 16, 10, 15));
        ImageScan b = engine.restore(h, st);
        assertEquals(10, b.nextToken());
        b.accept(Patches.range(img, 16, 10, 15));
        b.accept(Patches.range(img, 16, 15, 16));
        assertArrayEquals(whole.fin().logits(), b.finish().logits());
        // state size is fixed by the model, not the image: depth·((K−1)·E + E·N) floats + position
        assertEquals(3L * (3 * 384 + 384 * 16) * 4 + 8, st.bytes());
    }

    @Test
    void bundleOfMixedLengthsEqualsSeparateRuns() {
        Run w0 = run(0, 16), w1 = run(1, 16);
        ImageSource i0 = image(0), i1 = image(1);
        ImageScan s0 = engine.open(new ImageHeader("a", 4, 4)), s1 = engine.open(new ImageHeader("b", 4, 4));
        ImageScan s2 = engine.open(new ImageHeader("c", 4, 4));
        // same length -> one batched call; the third scan has another length -> its own group
        engine.acceptBundle(List.of(s0, s1, s2), List.of(Patches.range(i0, 16, 0, 7), Patches.range(i1, 16, 0, 7),
                Patches.range(i1, 16, 0, 3)));
        engine.acceptBundle(List.of(s2, s0), List.of(Patches.range(i1, 16, 3, 16), Patches.range(i0, 16, 7, 16)));
        engine.acceptBundle(List.of(s1), List.of(Patches.range(i1, 16, 7, 16)));
        assertArrayEquals(w0.fin().logits(), s0.finish().logits(), 1e-6f);
        assertArrayEquals(w1.fin().logits(), s1.finish().logits(), 1e-6f);
        assertArrayEquals(w1.fin().logits(), s2.finish().logits(), 1e-6f);
    }

    @Test
    void badInputIsRejectedWithoutTouchingState() {
        ImageSource img = image(0);
        ImageScan s = engine.open(new ImageHeader("x", 4, 4));
        s.accept(Patches.range(img, 16, 0, 10));
        CarriedState before = s.snapshot();
        assertThrows(IllegalArgumentException.class, () -> s.accept(Patches.range(img, 16, 0, 7)), "past the end");
        Tensor nan = Tensor.full(Float.NaN, 1, 3, 16, 16);
        assertThrows(IllegalArgumentException.class, () -> s.accept(nan));
        assertThrows(IllegalArgumentException.class, () -> s.accept(Tensor.zeros(1, 3, 8, 8)));
        assertThrows(IllegalStateException.class, s::finish, "finish before the last token");
        assertEquals(before, s.snapshot());
    }
}
