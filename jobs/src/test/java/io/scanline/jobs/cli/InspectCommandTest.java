package io.scanline.jobs.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code scanline inspect}: report and exit 0 for readable files, one reason line and exit 2 for rejected ones. */
class InspectCommandTest {
    private static Path testdata(String rel) {
        Path p = Path.of(System.getProperty("scanline.shared", "../../shared")).resolve("testdata").resolve(rel);
        assertTrue(p.toFile().isFile(), "missing " + p.toAbsolutePath());
        return p;
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream out0 = System.out, err0 = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = ScanlineCli.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out0);
            System.setErr(err0);
        }
    }

    @Test
    void readableSlide() {
        Run r = run("inspect", testdata("pathology/CMU-1-Small-Region.svs.tiff").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("format: SVS"), r.out());
        assertTrue(r.out().contains("level 0: 2220x2967, tiles 240x240, JPEG"), r.out());
        assertTrue(r.out().contains("microns per pixel: 0.4990"), r.out());
        assertTrue(r.out().contains("label (image 2)"), r.out());
        assertTrue(r.out().contains("185 x 138 = 25530"), r.out());
    }

    @Test
    void tokenCountFollowsPatchAndOrder() {
        Run r = run("inspect", "--patch", "32", "--order", "TILE", "--tile-size", "224", testdata("pathology/ihc.png").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        // 512 px padded to 3 tiles of 224 = 672 px = 21 patches of 32 per side.
        assertTrue(r.out().contains("21 x 21 = 441"), r.out());
    }

    @Test
    void georeferencing() {
        Run r = run("inspect", testdata("aerial/qgis-orthophoto-rgb.tif").toString());
        assertEquals(0, r.code());
        assertTrue(r.out().contains("EPSG:27700 origin=(321000.000000, 130800.944427)"), r.out());
    }

    @Test
    void rejectedFilesGiveOneLineAndExit2() {
        for (String f : new String[]{"corrupt/minimal_IFD_with_endless_loop.tif", "corrupt/broken-sos-before-sof.jpg",
                "corrupt/CMU-1-truncated-at-700k.tiff"}) {
            Run r = run("inspect", testdata(f).toString());
            assertEquals(2, r.code(), f);
            String[] lines = r.out().strip().split("\n");
            assertEquals(1, lines.length, f + ": " + r.out());
            assertTrue(lines[0].startsWith("REJECTED "), lines[0]);
            assertFalse(r.out().contains("\tat ") || r.err().contains("\tat "), "no stack trace");
        }
        Run missing = run("inspect", "no-such-file.tif");
        assertEquals(2, missing.code());
        assertTrue(missing.out().startsWith("REJECTED NOT_FOUND"), missing.out());
    }

    @Test
    void badOptionsAreAUsageError() {
        assertEquals(64, run("inspect", "--patch", "0", testdata("pathology/ihc.png").toString()).code());
        assertEquals(64, run("inspect", "--level", "0", "--mpp", "1", testdata("pathology/ihc.png").toString()).code());
    }
}
