package io.scanline.kernels.model.vil;

import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static io.scanline.kernels.model.FamilyGoldenSupport.GOLDEN_TOL;
import static io.scanline.kernels.model.FamilyGoldenSupport.assertGolden;
import static io.scanline.kernels.model.FamilyGoldenSupport.build;
import static io.scanline.kernels.model.FamilyGoldenSupport.golden;
import static io.scanline.kernels.model.FamilyGoldenSupport.image;
import static io.scanline.kernels.model.FamilyGoldenSupport.options;
import static io.scanline.kernels.model.FamilyGoldenSupport.reference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The barrier store of a vil2 model spills to local disk when its memory budget is tiny, and the
 * outputs still match the golden; a per-image limit below what the store needs is a clear error.
 */
class Vil2SpillTest {

    @Test
    void tinyBudgetSpillsToDiskAndStillMatchesTheGolden(@TempDir Path spill) throws IOException {
        GoldenCase g = golden("vil2_d2_224x224");
        StreamingModel model = build(g);
        // 4 KiB holds 5 of the 196 token rows (192 floats each); the other 191 rows go to a file
        StreamOptions o = options(7).withSpill(4096, spill);
        ModelOutput out = model.forward(reference(), image(g), o);
        MemoryLedger mem = out.memory();
        assertTrue(mem.peakStoreDiskBytes() > 0, "store did not spill: " + mem);
        assertEquals(4L * 191 * 192, mem.peakStoreDiskBytes(), mem.toString());
        assertTrue(mem.peakStoreMemoryBytes() <= 4096, mem.toString());
        assertGolden(g, out, GOLDEN_TOL, "spilled vil2 224");
        try (Stream<Path> left = Files.list(spill)) {
            assertEquals(0, left.count(), "spill files must be deleted when the run ends");
        }
    }

    @Test
    void budgetLargerThanTheStoreKeepsEverythingInMemory(@TempDir Path spill) {
        GoldenCase g = golden("vil2_d2_64x64");
        ModelOutput out = build(g).forward(reference(), image(g), options(5).withSpill(1 << 20, spill));
        assertEquals(0, out.memory().peakStoreDiskBytes(), out.memory().toString());
        assertEquals(4L * 2 * 16 * 192, out.memory().peakStoreMemoryBytes(), out.memory().toString());
        assertGolden(g, out, GOLDEN_TOL, "in-memory vil2 64");
    }

    @Test
    void perImageLimitBelowTheStoreIsAClearError(@TempDir Path spill) {
        GoldenCase g = golden("vil2_d2_64x64");
        StreamOptions o = options(5).withSpill(1024, spill).withMaxImageBytes(10_000);
        MemoryLedger.ImageTooLargeException e = assertThrows(MemoryLedger.ImageTooLargeException.class,
                () -> build(g).forward(reference(), image(g), o));
        // one image's store: 16 tokens × 192 floats × 4 B = 12,288 B > 10,000 B
        assertTrue(e.getMessage().contains("12288") && e.getMessage().contains("limit of 10000 bytes"), e.getMessage());
    }
}
