package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.golden.CaseRunners;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.golden.RunOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every op golden case ({@code ../shared/golden/op_*}) on djl, whole and streamed in chunks of
 * 1, 7 and 64 tokens with the state carried. Tolerances are those of the golden README, applied by
 * {@link io.scanline.kernels.golden.OpCaseRunner}: 1e-5 normwise (1e-4 for the ill-conditioned case).
 */
class DjlGoldenOpsTest {
    static Backend djl;

    @BeforeAll
    static void open() { djl = DjlTestSupport.open(); }

    @AfterAll
    static void shut() { djl.close(); }

    static List<Path> opCases() throws IOException {
        String shared = System.getProperty("scanline.shared");
        assertTrue(shared != null, "system property scanline.shared must point at the shared data folder");
        Path dir = Path.of(shared, "golden");
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> cases = s.filter(p -> p.getFileName().toString().startsWith("op_")).sorted().collect(Collectors.toList());
            assertFalse(cases.isEmpty(), "no op_* golden cases under " + dir);
            return cases;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("opCases")
    void wholeAndChunked(Path dir) throws IOException {
        GoldenCase g = GoldenCase.load(dir);
        for (int chunk : new int[] {0, 1, 7, 64}) {
            List<Comparison> res = CaseRunners.run(g, djl, RunOptions.defaults().withChunk(chunk));
            assertFalse(res.isEmpty());
            for (Comparison c : res) assertTrue(c.pass(), g.name() + " chunk " + chunk + ": " + c.format());
        }
    }
}
