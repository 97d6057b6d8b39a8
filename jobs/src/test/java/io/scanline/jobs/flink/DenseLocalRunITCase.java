package io.scanline.jobs.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.image.RgbBand;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.jobs.cli.ScanlineCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * run-local with the bundled demo model (dense heads) on a 230x170 crop of the H&E slide (14.4 x 10.6
 * patches of 16: the mask covers the ragged right and bottom edges too) writes the same mask and boxes as
 * {@code segment --mode stream}, although the Flink job cuts the scan into chunk records of 7 patches
 * (rows of 14 patches, so chunks straddle rows) bundled 3 at a time and {@code segment} streams 256
 * tokens per step. The job's features come from the scan engine's fused chunk step, segment's from the
 * model's own streamed forward: the same math in a different fp32 order, so they agree to about 1e-7
 * relative. Boxes are compared to 1e-4 px and 1e-6 in score (measured: under 2e-6 px, 1e-7 score); the
 * mask is a threshold at logit 0 and is asserted identical (a pixel flips only if its logit lies within
 * that rounding of 0, which none of this crop does).
 */
class DenseLocalRunITCase {
    static final Path SHARED = Path.of(System.getProperty("scanline.shared", "../shared"));
    static final Path MODEL = Path.of("src/main/resources/demo-model");
    static final int W = 230, H = 170;
    @TempDir
    static Path tmp;
    static Path crop;

    @BeforeAll
    static void cropSlide() throws Exception {
        Path svs = SHARED.resolve("testdata/pathology/CMU-1-Small-Region.svs.tiff");
        assertTrue(Files.isRegularFile(svs), "test image missing: " + svs);
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        try (var src = ImageSources.open(svs, IngestLimits.defaults())) {
            RgbBand b = src.readRows(0, 1400, H);
            int sw = src.levels().get(0).width();
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    int i = 3 * (y * sw + 1000 + x);
                    img.setRGB(x, y, ((b.rgb()[i] & 255) << 16) | ((b.rgb()[i + 1] & 255) << 8) | (b.rgb()[i + 2] & 255));
                }
            }
        }
        crop = Files.createDirectories(tmp.resolve("in")).resolve("he-crop.png");
        ImageIO.write(img, "png", crop.toFile());
    }

    @Test
    void runLocalWritesTheMaskAndBoxesOfSegmentStream() throws Exception {
        Path flinkOut = tmp.resolve("flink"), segOut = tmp.resolve("segment");
        JobSettings s = JobSettings.defaults(MODEL.toAbsolutePath().toString(), 16).withChunk(7).withBundle(3);
        LocalRun.Summary r = LocalRun.run(s, crop, flinkOut, false, false);
        assertEquals(1, r.results());
        assertEquals(0, r.deadLetters());
        assertEquals(0, ScanlineCli.execute("segment", crop.toString(), "--model", MODEL.toString(), "--mode", "stream",
                "--out", segOut.toString()));

        int[] flinkMask = pixels(flinkOut.resolve("he-crop.mask.png")), segMask = pixels(segOut.resolve("he-crop.mask.png"));
        assertEquals(W * H, flinkMask.length);
        assertArrayEquals(segMask, flinkMask, "mask differs from segment --mode stream");
        long fg = java.util.Arrays.stream(flinkMask).filter(v -> (v & 255) != 0).count();
        assertTrue(fg > 0 && fg < (long) W * H, "the nuclei model marks some but not all of an H&E crop, got " + fg + " px");
        // the TIFF holds the same mask as the PNG (both written from the same bands)
        assertArrayEquals(Files.readAllBytes(segOut.resolve("he-crop.mask.tif")), Files.readAllBytes(flinkOut.resolve("he-crop.mask.tif")));

        ObjectMapper json = new ObjectMapper();
        JsonNode coco = json.readTree(flinkOut.resolve("he-crop.coco.json").toFile());
        JsonNode segCoco = json.readTree(segOut.resolve("he-crop.coco.json").toFile());
        assertTrue(coco.get("annotations").size() > 0, "detections on an H&E crop");
        JsonNode a = coco.get("annotations"), b = segCoco.get("annotations");
        assertEquals(b.size(), a.size(), "detection count differs from segment --mode stream");
        for (int i = 0; i < a.size(); i++) {
            for (int k = 0; k < 4; k++) {
                assertEquals(b.get(i).get("bbox").get(k).asDouble(), a.get(i).get("bbox").get(k).asDouble(), 1e-4, "box " + i);
            }
            assertEquals(b.get(i).get("score").asDouble(), a.get(i).get("score").asDouble(), 1e-6, "score " + i);
        }
        JsonNode geo = json.readTree(flinkOut.resolve("he-crop.geojson").toFile());
        assertEquals(coco.get("annotations").size(), geo.get("features").size());
        BufferedImage overlay = ImageIO.read(flinkOut.resolve("he-crop.overlay.png").toFile());
        assertEquals(W, overlay.getWidth());
        assertEquals(H, overlay.getHeight());
        List<String> records = Files.readAllLines(flinkOut.resolve("he-crop.results.jsonl"));
        assertEquals(List.of("mask", "detections-coco", "detections-geojson", "overlay"),
                records.stream().map(l -> read(json, l).get("kind").asText()).toList());
        JsonNode result = json.readTree(flinkOut.resolve("he-crop.png.json").toFile());
        assertEquals(coco.get("annotations").size(), result.at("/dense/detections").asInt());
    }

    private static JsonNode read(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (Exception e) {
            throw new AssertionError(line, e);
        }
    }

    private static int[] pixels(Path png) throws Exception {
        BufferedImage m = ImageIO.read(png.toFile());
        return m.getRaster().getPixels(0, 0, m.getWidth(), m.getHeight(), (int[]) null);
    }
}
