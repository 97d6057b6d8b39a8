package io.scanline.connectors.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.connectors.TestData;
import io.scanline.connectors.ingest.IngestLimits;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our pixel-to-map transform against GDAL ({@code gdalinfo -json}: geotransform and EPSG) and libgeotiff
 * ({@code listgeo}: corner coordinates). Both tools come from Debian packages that {@code .ci/run}
 * installs; their absence fails this test rather than skipping it.
 */
class GeoReferenceToolsTest {
    /** GDAL prints full doubles: agreement to 1e-9 relative is exact up to decimal printing. */
    private static final double REL = 1e-9;
    /** listgeo prints projected corners with 3 decimals. */
    private static final double LISTGEO_ABS = 0.0015;

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        } catch (IOException e) {
            fail(cmd[0] + " is not installed (Debian packages gdal-bin and geotiff-bin; .ci/install-deps.sh installs them)");
            return null;
        }
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd[0] + " finished");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed");
        return new String(out, StandardCharsets.UTF_8);
    }

    private static GeoReference ours(Path f) throws Exception {
        try (ImageSource s = ImageSources.open(f, IngestLimits.defaults())) {
            return s.geoReference().orElseThrow(() -> new AssertionError(f + " has no georeferencing"));
        }
    }

    private static void matchesGdal(String rel) throws Exception {
        Path f = TestData.testdata(rel);
        JsonNode g = new ObjectMapper().readTree(run("gdalinfo", "-json", f.toString()));
        double[] gt = ours(f).geoTransform();
        JsonNode want = g.get("geoTransform");
        for (int i = 0; i < 6; i++) {
            double w = want.get(i).asDouble();
            assertEquals(w, gt[i], Math.max(1e-12, Math.abs(w) * REL), rel + " geotransform[" + i + "]");
        }
        assertEquals(g.get("stac").get("proj:epsg").asInt(), ours(f).epsg(), rel + " EPSG");
    }

    private static void matchesListgeo(String rel, int width, int height) throws Exception {
        Path f = TestData.testdata(rel);
        String out = run("listgeo", f.toString());
        GeoReference geo = ours(f);
        for (Object[] corner : List.<Object[]>of(new Object[]{"Upper Left", 0, 0}, new Object[]{"Lower Right", width, height},
                new Object[]{"Upper Right", width, 0}, new Object[]{"Lower Left", 0, height})) {
            Matcher m = Pattern.compile(corner[0] + "\\s*\\(\\s*([-0-9.]+),\\s*([-0-9.]+)\\)").matcher(out);
            assertTrue(m.find(), "listgeo prints the " + corner[0] + " corner of " + rel);
            double[] xy = geo.pixelToMap((int) corner[1], (int) corner[2]);
            assertEquals(Double.parseDouble(m.group(1)), xy[0], LISTGEO_ABS, rel + " " + corner[0] + " X");
            assertEquals(Double.parseDouble(m.group(2)), xy[1], LISTGEO_ABS, rel + " " + corner[0] + " Y");
        }
    }

    @Test
    void statePlaneChicago() throws Exception {
        matchesGdal("aerial/SP27GTIF.tif");
        matchesListgeo("aerial/SP27GTIF.tif", 699, 929);
    }

    @Test
    void britishNationalGridOrthophoto() throws Exception {
        matchesGdal("aerial/qgis-orthophoto-rgb.tif");
        matchesListgeo("aerial/qgis-orthophoto-rgb.tif", 900, 900);
    }

    @Test
    void modelTransformationTag() throws Exception {
        matchesGdal("aerial/bluemarble-tiled-lzw.tif");
    }

    @Test
    void pixelIsPointShiftsHalfAPixel() {
        GeoReference g = new GeoReference(new double[]{100, 2, 0, 50, 0, -2}, 4326, false);
        assertEquals(102, g.pixelToMap(1, 0)[0], 0);
        assertEquals(48, g.pixelToMap(0, 1)[1], 0);
        GeoReference half = g.scaled(4, 4);
        assertEquals(108, half.pixelToMap(1, 0)[0], 0, "a level 4x coarser has 4x larger pixels");
    }
}
