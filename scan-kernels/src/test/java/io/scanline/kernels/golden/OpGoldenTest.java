package io.scanline.kernels.golden;

import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code op_*} golden case on the reference backend, whole and in chunks of 1, 7 and 64 with
 * the state carried, in every form. Tolerances are the golden README's (1e-5; 1e-4 ill-conditioned).
 */
class OpGoldenTest {
    static Path golden() {
        return Path.of(System.getProperty("scanline.shared", "../shared"), "golden");
    }

    static Stream<Arguments> cases() throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(golden())) {
            dirs = s.filter(p -> p.getFileName().toString().startsWith("op_")).sorted().toList();
        }
        assertFalse(dirs.isEmpty(), "no op golden cases under " + golden());
        return dirs.stream().flatMap(d -> Stream.of(0, 1, 7, 64).flatMap(c -> Stream.of(
                Arguments.of(d.getFileName().toString(), c, MlstmForm.CHUNKWISE, SsdForm.CHUNKED),
                Arguments.of(d.getFileName().toString(), c, MlstmForm.RECURRENT, SsdForm.RECURRENT))));
    }

    @ParameterizedTest(name = "{0} chunk {1} {2}/{3}")
    @MethodSource("cases")
    void matchesGolden(String name, int chunk, MlstmForm mf, SsdForm sf) throws IOException {
        GoldenCase g = GoldenCase.load(golden().resolve(name));
        List<Comparison> res = CaseRunners.run(g, new ReferenceBackend(), RunOptions.defaults().withChunk(chunk).withForms(mf, sf));
        assertFalse(res.isEmpty());
        for (Comparison c : res) assertTrue(c.pass(), name + ": " + c.format());
    }
}
