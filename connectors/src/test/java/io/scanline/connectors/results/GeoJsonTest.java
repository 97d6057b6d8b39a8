package io.scanline.connectors.results;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.connectors.image.GeoReference;
import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.ingest.IngestLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GeoJSON of an aerial input lands where the input is: the GeoTIFF is opened through the connectors'
 * reader and box corners must equal the file's georeferencing as GDAL reports it
 * (gdalinfo: origin (321000, 130800.944427), pixel size (2, -2), EPSG:27700, area convention).
 * Tolerance 1e-6 m: double arithmetic on coordinates of ~1e5 m.
 */
class GeoJsonTest {
    static final Path AERIAL = Path.of(System.getProperty("scanline.shared", "../shared"), "testdata/aerial/qgis-orthophoto-rgb.tif");

    @TempDir
    Path dir;

    @Test
    void aerialBoxesAreInMapCoordinatesOfTheInput() throws Exception {
        assertTrue(Files.isRegularFile(AERIAL), "test image missing: " + AERIAL);
        GeoReference geo;
        int w, h;
        try (ImageSource src = ImageSources.open(AERIAL, IngestLimits.defaults())) {
            geo = src.geoReference().orElseThrow(() -> new AssertionError("the orthophoto is georeferenced"));
            w = src.levels().get(0).width();
            h = src.levels().get(0).height();
        }
        assertEquals(27700, geo.epsg());
        ResultImage img = new ResultImage("ortho", AERIAL.getFileName().toString(), w, h, null, geo);
        List<Detection> dets = List.of(new Detection(100, 200, 150, 260, 0.9, "building"),
                new Detection(0, 0, 900, 900, 0.5, "building"));
        Path f = dir.resolve("d.geojson");
        GeoJson.write(f, img, dets);
        JsonNode root = CocoJson.JSON.readTree(f.toFile());
        assertEquals("urn:ogc:def:crs:EPSG::27700", root.at("/crs/properties/name").asText());
        assertEquals("map", root.at("/properties/coordinates").asText());
        JsonNode ring = root.at("/features/0/geometry/coordinates/0");
        assertEquals(5, ring.size());
        assertEquals(ring.get(0), ring.get(4), "closed ring");
        double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (JsonNode p : ring) {
            minX = Math.min(minX, p.get(0).asDouble());
            maxX = Math.max(maxX, p.get(0).asDouble());
            minY = Math.min(minY, p.get(1).asDouble());
            maxY = Math.max(maxY, p.get(1).asDouble());
        }
        assertEquals(321000 + 2 * 100, minX, 1e-6);
        assertEquals(321000 + 2 * 150, maxX, 1e-6);
        assertEquals(130800.944427 - 2 * 260, minY, 1e-6);
        assertEquals(130800.944427 - 2 * 200, maxY, 1e-6);
        assertTrue(signedArea(ring) > 0, "exterior ring counter-clockwise in map coordinates");
        // the whole-image box spans gdalinfo's corner coordinates
        JsonNode all = root.at("/features/1/geometry/coordinates/0");
        assertTrue(contains(all, 321000.000, 130800.944427) && contains(all, 322800.000, 129000.944427), all.toString());
        assertEquals("building", root.at("/features/0/properties/classification/name").asText());
    }

    @Test
    void pathologyBoxesStayInPixelsWithMicronsPerPixel() {
        ResultImage img = new ResultImage("slide", "s.svs", 2220, 2967, 0.499, null);
        JsonNode root = GeoJson.build(img, List.of(new Detection(10, 20, 30, 50, 0.8, "nucleus")));
        assertFalse(root.has("crs"));
        assertEquals(0.499, root.at("/properties/microns_per_pixel").asDouble());
        assertEquals("pixel", root.at("/properties/coordinates").asText());
        JsonNode ring = root.at("/features/0/geometry/coordinates/0");
        assertEquals(10, ring.get(0).get(0).asDouble());
        assertEquals(50, ring.get(0).get(1).asDouble());
        assertEquals(30, ring.get(2).get(0).asDouble());
        assertEquals(20, ring.get(2).get(1).asDouble());
    }

    static boolean contains(JsonNode ring, double x, double y) {
        for (JsonNode p : ring) if (Math.abs(p.get(0).asDouble() - x) < 1e-6 && Math.abs(p.get(1).asDouble() - y) < 1e-6) return true;
        return false;
    }

    static double signedArea(JsonNode ring) {
        double a = 0;
        for (int i = 0; i + 1 < ring.size(); i++) {
            a += ring.get(i).get(0).asDouble() * ring.get(i + 1).get(1).asDouble() - ring.get(i + 1).get(0).asDouble() * ring.get(i).get(1).asDouble();
        }
        return a / 2;
    }
}
