package io.scanline.operators;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Patch cutting, normalization, per-tile ids and rejections of {@link ImageChunker}. */
class ImageChunkerTest {
    @TempDir
    Path tmp;

    /** 37×21 pixels (grid 4×2 at ps 8, remainder cropped); pixel (x, y) = (x, y, 7) so positions are checkable. */
    Path image() throws Exception {
        BufferedImage img = new BufferedImage(37, 21, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 21; y++)
            for (int x = 0; x < 37; x++) img.setRGB(x, y, (x << 16) | (y << 8) | 7);
        Path p = tmp.resolve("grid.png");
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    static float norm(int v, int ch) {
        return (v / 255f - ImageChunker.MEAN[ch]) / ImageChunker.STD[ch];
    }

    @Test
    void cutsRasterOrderedChunksWithSequenceNumbers() throws Exception {
        List<ChunkRecord> out = new ArrayList<>();
        new ImageChunker(8, 3, 0).chunk("g", image().toString(), out::add);
        assertEquals(List.of(3, 3, 2), out.stream().map(ChunkRecord::patches).toList());
        assertEquals(List.of(0L, 1L, 2L), out.stream().map(r -> r.seq).toList());
        assertEquals(List.of(false, false, true), out.stream().map(r -> r.last).toList());
        assertEquals(2, out.get(0).gridH);
        assertEquals(4, out.get(0).gridW);
        // token 5 = row 1, col 1: patch 2 of chunk 1; its pixel (dy 3, dx 2) is image (x 10, y 11)
        float[] px = out.get(1).pixels;
        int per = 3 * 64, base = 2 * per;
        assertEquals(norm(10, 0), px[base + (0 * 8 + 3) * 8 + 2], 1e-6);
        assertEquals(norm(11, 1), px[base + (1 * 8 + 3) * 8 + 2], 1e-6);
        assertEquals(norm(7, 2), px[base + (2 * 8 + 3) * 8 + 2], 1e-6);
    }

    @Test
    void perTileModeEmitsIndependentImages() throws Exception {
        List<ChunkRecord> out = new ArrayList<>();
        new ImageChunker(8, 100, 3).chunk("g", image().toString(), out::add);
        // 2×4 grid in tiles of 3×3 patches: tiles (0,0) 2×3 and (0,1) 2×1
        assertEquals(List.of("g#r0c0", "g#r0c1"), out.stream().map(r -> r.imageId).toList());
        assertEquals(6, out.get(0).patches());
        assertEquals(2, out.get(1).patches());
        assertTrue(out.stream().allMatch(r -> r.seq == 0 && r.last));
        // tile (0,1) starts at grid column 3 = image x 24
        assertEquals(norm(24, 0), out.get(1).pixels[0], 1e-6);
    }

    @Test
    void rejectsUnreadableInputWithAReason() throws Exception {
        Path junk = Files.write(tmp.resolve("junk.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        List<ChunkRecord> out = new ArrayList<>();
        var e = assertThrows(ImageChunker.Rejected.class, () -> new ImageChunker(8, 4, 0).chunk("j", junk.toString(), out::add));
        assertFalse(e.getMessage().isBlank());
        assertTrue(java.util.Set.of("UNSUPPORTED_FORMAT", "MALFORMED", "TRUNCATED", "DECODE_FAILED").contains(e.reasonCode()), e.reasonCode());
        var missing = assertThrows(ImageChunker.Rejected.class, () -> new ImageChunker(8, 4, 0).chunk("m", tmp.resolve("missing.png").toString(), out::add));
        assertEquals("NOT_FOUND", missing.reasonCode());
        var small = assertThrows(ImageChunker.Rejected.class, () -> new ImageChunker(64, 4, 0).chunk("s", image().toString(), out::add),
                "smaller than one patch");
        assertEquals("BAD_REQUEST", small.reasonCode());
        assertTrue(out.isEmpty(), "a rejected image emits nothing");
    }
}
