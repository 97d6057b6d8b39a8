package io.scanline.kernels.stream;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The barrier engine on the ViL v2 golden case (64×64, 4×4 patches of 16), with a spill budget of
 * 5 patches so most of the image goes through the spill file. Tolerance 1e-4 relative against the
 * fp64 golden (golden README, models tolerance); restore must be bit-identical (same pixels in).
 */
class BarrierScanEngineTest {
    @TempDir Path spill;

    @Test
    void spilledChunkedScanMatchesGoldenAndRestores() throws Exception {
        Path dir = Path.of(System.getProperty("scanline.shared", "../shared"), "golden", "vil2_d2_64x64");
        GoldenCase g = GoldenCase.load(dir);
        StreamOptions opt = StreamOptions.defaults().withSpill(5L * 3 * 16 * 16 * 4, spill.resolve("sub"));
        ScanEngine engine = ScanEngines.load(dir, new ReferenceBackend(), opt);
        assertInstanceOf(BarrierScanEngine.class, engine);
        assertEquals("vil2", engine.family());
        ImageSource img = ImageSource.of(g.tensor("input.image").toF32().batch(0));
        ImageHeader h = new ImageHeader("v", 4, 4);
        ImageScan s = engine.open(h);
        s.accept(Patches.range(img, 16, 0, 3));
        s.accept(Patches.range(img, 16, 3, 9));
        // the spill directory is only created when a store spills (its file is unlinked at once)
        assertTrue(Files.isDirectory(spill.resolve("sub")), "patches past the budget go to a spill file");
        CarriedState mid = s.snapshot();
        assertEquals(9, mid.scalar("position"));
        assertEquals(9L * 768 * 4 + 8, mid.bytes());
        s.accept(Patches.range(img, 16, 9, 16));
        FinalOutput whole = s.finish();
        Comparison c = Comparison.relative("logits", Tensor.of(whole.logits(), 1, 16), g.tensor("output.logits").toF32().batch(0), 1e-4);
        assertTrue(c.pass(), c.format());

        ImageScan r = engine.restore(h, mid);
        assertEquals(9, r.nextToken());
        assertThrows(IllegalArgumentException.class, () -> r.accept(Patches.range(img, 16, 0, 8)), "past the end");
        r.accept(Patches.range(img, 16, 9, 16));
        assertArrayEquals(whole.logits(), r.finish().logits());
        assertThrows(IllegalArgumentException.class, () -> engine.restore(new ImageHeader("v", 2, 2), mid), "position past a smaller image");
    }
}
