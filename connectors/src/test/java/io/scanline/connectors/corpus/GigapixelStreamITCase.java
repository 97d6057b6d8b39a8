package io.scanline.connectors.corpus;

import io.scanline.connectors.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounded memory on a gigapixel slide: a 33300 x 44505 (1.48 GP) pyramidal JPEG-tiled BigTIFF is built
 * from the real CMU pixels with libvips (cached under target/), and all 5,787,261 patch tokens are
 * streamed in a separate JVM limited to {@code -Xmx1g}. A decoded level 0 would need 4.4 GB; the run
 * must finish. Throughput is measured by {@code scanline inspect --stream}, not here.
 */
class GigapixelStreamITCase {
    private static final long TOKENS = 2781L * 2081; // floor(44505/16) x floor(33300/16)

    private static void run(List<String> cmd, Path log) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            fail(cmd.get(0) + " is not installed (Debian package libvips-tools; .ci/install-deps.sh installs it)");
            return;
        }
        assertTrue(p.waitFor(15, TimeUnit.MINUTES), String.join(" ", cmd) + " finished");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed: " + Files.readString(log));
    }

    static Path gigapixelSlide() throws IOException, InterruptedException {
        Path dir = Files.createDirectories(Path.of("target/gigapixel"));
        Path big = dir.resolve("big.tif");
        if (Files.isRegularFile(big) && Files.size(big) > 100_000_000L) {
            return big;
        }
        Path svs = TestData.testdata("pathology/CMU-1-Small-Region.svs.tiff");
        Path level0 = dir.resolve("level0.v");
        // tiffload explicitly: vips would otherwise pick its OpenSlide loader, which adds an alpha band.
        run(List.of("vips", "tiffload", svs.toString(), level0.toString(), "--page", "0"), dir.resolve("tiffload.log"));
        Path tmp = dir.resolve("big.tmp.tif");
        run(List.of("vips", "replicate", level0.toString(),
                tmp + "[tile,pyramid,compression=jpeg,Q=80,bigtiff,tile-width=256,tile-height=256]", "15", "15"), dir.resolve("replicate.log"));
        Files.move(tmp, big);
        return big;
    }

    @Test
    void streamsAllTokensInOneGigabyteOfHeap() throws Exception {
        Path big = gigapixelSlide();
        Path log = Path.of("target/gigapixel/stream.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        run(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), GigapixelStreamMain.class.getName(),
                big.toString()), log);
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("tokens=(\\d+) peakHeapMiB=(\\d+) maxHeapMiB=(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        assertEquals(TOKENS, Long.parseLong(m.group(1)), "every token streamed");
        assertTrue(Long.parseLong(m.group(3)) <= 1024, "the child really ran with a 1 GiB heap");
        System.out.println("gigapixel stream: " + out.strip());
    }
}
