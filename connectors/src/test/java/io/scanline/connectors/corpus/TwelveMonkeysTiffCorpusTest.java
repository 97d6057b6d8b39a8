package io.scanline.connectors.corpus;

import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 140 TIFF edge cases of the TwelveMonkeys test jar (unpacked by the build into
 * {@code target/tm-tiff-corpus}): each decodes and patchifies to its grid's token count, or is
 * rejected with a typed reason; nothing else escapes and nothing hangs.
 */
class TwelveMonkeysTiffCorpusTest {
    /**
     * Hang guard per file. Most decode in milliseconds; pack.tif (9 MP CMYK+alpha LZW with an ICC
     * profile) needs ~30 s of CPU in the decoder and its colour conversion, more on a busy machine.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(240);
    static final Map<String, CorpusCheck.Outcome> OUTCOMES = new ConcurrentHashMap<>();

    static List<Path> files() throws IOException {
        Path dir = Path.of(System.getProperty("scanline.tiffCorpus", "target/tm-tiff-corpus"));
        assertTrue(Files.isDirectory(dir), "TIFF corpus not unpacked at " + dir.toAbsolutePath() + " (the build's generate-test-resources phase does it)");
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".tif") || n.endsWith(".tiff");
            }).sorted().toList();
        }
    }

    @Test
    void corpusIsComplete() throws IOException {
        assertEquals(140, files().size(), "the pinned test jar holds 140 TIFFs");
    }

    @TestFactory
    Stream<DynamicTest> eachTiff() throws IOException {
        return files().stream().map(f -> DynamicTest.dynamicTest(f.getParent().getFileName() + "/" + f.getFileName(), () -> {
            CorpusCheck.Outcome o = assertTimeoutPreemptively(TIMEOUT, () -> CorpusCheck.check(f, IngestLimits.defaults()));
            OUTCOMES.put(f.toString(), o);
            if (!o.decoded()) {
                assertTrue(o.detail() != null && !o.detail().isBlank(), "a rejection explains itself");
            }
        }));
    }

    /** Prints the tally (decoded vs each reason) for the test report; asserts most of the corpus decodes. */
    @org.junit.jupiter.api.AfterAll
    static void tally() {
        Map<RejectReason, Integer> reasons = new EnumMap<>(RejectReason.class);
        int ok = 0;
        for (CorpusCheck.Outcome o : OUTCOMES.values()) {
            if (o.decoded()) {
                ok++;
            } else {
                reasons.merge(o.reason(), 1, Integer::sum);
            }
        }
        System.out.println("TwelveMonkeys TIFF corpus: " + OUTCOMES.size() + " files, " + ok + " decoded, rejected " + reasons);
        OUTCOMES.forEach((f, o) -> {
            if (!o.decoded()) {
                System.out.println("  rejected " + o.reason() + " " + Path.of(f).getFileName() + ": " + o.detail());
            }
        });
    }
}
