package io.scanline.jobs.dense;

import io.scanline.kernels.heads.DenseHeads;
import io.scanline.kernels.heads.DenseModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Bad feature streams are named, and an image that never finishes leaves no partial mask behind. */
class DenseImageWriterTest {
    static final Path SHARED = Path.of(System.getProperty("scanline.shared", "../shared"));
    static final Path IMG = SHARED.resolve("testdata/pathology/ihc.png");   // 512x512: 32x32 patches of 16
    static DenseHeads heads;
    @TempDir
    Path out;

    @BeforeAll
    static void load() throws Exception {
        heads = DenseModel.load(Path.of("src/main/resources/demo-model")).heads();
    }

    @Test
    void wrongFeatureWidthIsNamed() throws Exception {
        try (DenseImageWriter w = new DenseImageWriter(heads, IMG, "ihc", out, 256, 1024)) {
            var e = assertThrows(IllegalArgumentException.class, () -> w.accept(0, new float[3 * (heads.width() + 1)], 3));
            assertTrue(e.getMessage().contains("width " + heads.width()), e.getMessage());
        }
    }

    @Test
    void chunkOutOfOrderIsRejected() throws Exception {
        try (DenseImageWriter w = new DenseImageWriter(heads, IMG, "ihc", out, 256, 1024)) {
            var e = assertThrows(IllegalStateException.class, () -> w.accept(5, new float[2 * heads.width()], 2));
            assertTrue(e.getMessage().contains("expected 0"), e.getMessage());
        }
    }

    @Test
    void finishBeforeTheLastTokenFailsAndCloseDropsThePartialMask() throws Exception {
        DenseImageWriter w = new DenseImageWriter(heads, IMG, "ihc", out, 256, 1024);
        w.accept(0, new float[64 * heads.width()], 64);
        var e = assertThrows(IllegalStateException.class, w::finish);
        assertTrue(e.getMessage().contains("64 of 1024"), e.getMessage());
        w.close();
        assertFalse(Files.exists(out.resolve("ihc.mask.tif")), "a partial mask TIFF must not stay behind");
    }
}
