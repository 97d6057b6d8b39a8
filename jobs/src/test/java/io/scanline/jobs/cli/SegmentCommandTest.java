package io.scanline.jobs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code scanline segment} on a real image writes every output, consistent with each other. */
class SegmentCommandTest {
    static final Path SHARED = Path.of(System.getProperty("scanline.shared", "../shared"));

    @TempDir
    Path out;

    @Test
    void writesMaskDetectionsOverlayAndRecords() throws Exception {
        Path img = SHARED.resolve("testdata/pathology/ihc.png");
        assertTrue(Files.isRegularFile(img), "test image missing: " + img);
        assertEquals(0, ScanlineCli.execute("segment", img.toString(), "--out", out.toString()));
        for (String f : List.of("ihc.mask.tif", "ihc.mask.png", "ihc.coco.json", "ihc.geojson", "ihc.overlay.png", "ihc.results.jsonl")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        BufferedImage mask = ImageIO.read(out.resolve("ihc.mask.png").toFile());
        assertEquals(512, mask.getWidth());
        assertEquals(512, mask.getHeight());
        ObjectMapper json = new ObjectMapper();
        JsonNode coco = json.readTree(out.resolve("ihc.coco.json").toFile());
        JsonNode geo = json.readTree(out.resolve("ihc.geojson").toFile());
        assertEquals(coco.get("annotations").size(), geo.get("features").size(), "same detections in both formats");
        for (JsonNode a : coco.get("annotations")) {
            JsonNode b = a.get("bbox");
            assertTrue(b.get(0).asDouble() >= 0 && b.get(0).asDouble() + b.get(2).asDouble() <= 512, "boxes clamped to the image");
        }
        List<String> records = Files.readAllLines(out.resolve("ihc.results.jsonl"));
        assertEquals(4, records.size());
        assertEquals("mask", json.readTree(records.get(0)).get("kind").asText());
        assertEquals(coco.get("annotations").size(), json.readTree(records.get(1)).at("/summary/detections").asInt());
    }

    @Test
    void geoTiffInputGivesGeoJsonInItsCrs() throws Exception {
        Path img = SHARED.resolve("testdata/aerial/qgis-orthophoto-rgb.tif");
        assertEquals(0, ScanlineCli.execute("segment", img.toString(), "--out", out.toString(), "--mode", "stream", "--chunk", "500"));
        JsonNode geo = new ObjectMapper().readTree(out.resolve("qgis-orthophoto-rgb.geojson").toFile());
        assertTrue(geo.get("features").size() > 0, "the nuclei model fires on the aerial image too, so vertices get checked");
        assertEquals("urn:ogc:def:crs:EPSG::27700", geo.at("/crs/properties/name").asText());
        assertEquals("map", geo.at("/properties/coordinates").asText());
        // every vertex inside the file's extent (gdalinfo: x 321000..322800, y 129000.944..130800.944; the origin is
        // stored as 130800.944427000009, hence the 1e-6 m slack)
        for (JsonNode f : geo.get("features")) {
            for (JsonNode p : f.at("/geometry/coordinates/0")) {
                assertTrue(p.get(0).asDouble() >= 321000 - 1e-6 && p.get(0).asDouble() <= 322800 + 1e-6, p.toString());
                assertTrue(p.get(1).asDouble() >= 129000.944427 - 1e-6 && p.get(1).asDouble() <= 130800.944427 + 1e-6, p.toString());
            }
        }
    }

    @Test
    void rejectsUnknownModeWithOneLine() {
        Path img = SHARED.resolve("testdata/pathology/ihc.png");
        assertEquals(1, ScanlineCli.execute("segment", img.toString(), "--out", out.toString(), "--mode", "sideways"));
    }
}
