package io.scanline.connectors.corpus;

import io.scanline.connectors.TestData;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every file of ../shared/testdata: decodes to the expected token counts, or is rejected for the expected reason. */
class SharedTestdataTest {
    /** Per-file timeout: the largest file here decodes in well under a second; 30 s only catches hangs. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Expected tokens per level (16 px patches, padded) for readable files; grids computed from the stated sizes. */
    private static final Map<String, long[]> DECODES = Map.of(
            "pathology/CMU-1-Small-Region.svs.tiff", new long[]{139L * 186},   // 2220x2967
            "pathology/ihc.png", new long[]{32L * 32},                         // 512x512
            "aerial/SP27GTIF.tif", new long[]{44L * 59},                       // 699x929
            "aerial/qgis-orthophoto-rgb.tif", new long[]{57L * 57},            // 900x900
            "aerial/bluemarble-tiled-lzw.tif", new long[]{23L * 12});          // 360x180

    private static final Map<String, RejectReason> REJECTS = Map.ofEntries(
            Map.entry("corrupt/CMU-1-truncated-at-700k.tiff", RejectReason.OFFSET_OUT_OF_FILE),
            Map.entry("corrupt/broken-adobe-segment-length-beyond-eof.jpg", RejectReason.MALFORMED),
            Map.entry("corrupt/broken-bogus-segment-length.jpg", RejectReason.DECODE_FAILED),
            Map.entry("corrupt/broken-no-sof-ascii-transfer-mode.jpg", RejectReason.MALFORMED),
            Map.entry("corrupt/broken-sos-before-sof.jpg", RejectReason.MALFORMED),
            Map.entry("corrupt/minimal_IFD_incomplete.tif", RejectReason.OFFSET_OUT_OF_FILE),
            Map.entry("corrupt/minimal_IFD_points_outside_filesize.tif", RejectReason.OFFSET_OUT_OF_FILE),
            Map.entry("corrupt/minimal_IFD_with_endless_loop.tif", RejectReason.IFD_LOOP),
            Map.entry("corrupt/minimal_empty_IFD.tif", RejectReason.MALFORMED),
            Map.entry("corrupt/minimal_invalid_type_imagewidth.tif", RejectReason.MALFORMED),
            Map.entry("corrupt/minimal_offsets_are_zero.tiff", RejectReason.MALFORMED),
            Map.entry("corrupt/minimal_tag_with_count_2M.tif", RejectReason.OFFSET_OUT_OF_FILE),
            Map.entry("corrupt/minimal_without_IFD.tif", RejectReason.MALFORMED));

    private static List<Path> files() throws IOException {
        Path root = TestData.shared().resolve("testdata");
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("README.md")).sorted().toList();
        }
    }

    @Test
    void everyFileIsClassified() throws IOException {
        List<Path> all = files();
        assertEquals(DECODES.size() + REJECTS.size(), all.size(), "a file was added to or removed from the test data: " + all);
    }

    @TestFactory
    Stream<DynamicTest> eachFile() throws IOException {
        Path root = TestData.shared().resolve("testdata");
        return files().stream().map(f -> DynamicTest.dynamicTest(root.relativize(f).toString(), () -> {
            String rel = root.relativize(f).toString().replace('\\', '/');
            CorpusCheck.Outcome o = assertTimeoutPreemptively(TIMEOUT, () -> CorpusCheck.check(f, IngestLimits.defaults()));
            if (DECODES.containsKey(rel)) {
                assertNull(o.reason(), rel + " should decode but was rejected: " + o.reason() + " " + o.detail());
                assertArrayEquals(DECODES.get(rel), o.tokensPerLevel(), rel + " tokens per level");
            } else {
                assertTrue(REJECTS.containsKey(rel), "unclassified file " + rel);
                assertEquals(REJECTS.get(rel), o.reason(), rel + " (" + o.detail() + ")");
            }
        }));
    }
}
