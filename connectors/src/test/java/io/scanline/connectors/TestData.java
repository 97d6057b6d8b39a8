package io.scanline.connectors;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Locations of the shared test data; a missing directory fails the test instead of skipping it. */
public final class TestData {
    private TestData() {
    }

    public static Path shared() {
        String p = System.getProperty("scanline.shared", "../../shared");
        Path d = Path.of(p);
        assertTrue(Files.isDirectory(d.resolve("testdata")), "shared test data not found at " + d.toAbsolutePath()
                + " (set -Dscanline.shared=DIR)");
        return d;
    }

    public static Path testdata(String rel) {
        Path f = shared().resolve("testdata").resolve(rel);
        assertTrue(Files.isRegularFile(f), "missing test file " + f);
        return f;
    }
}
