package io.scanline.kernels.conformance;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BackendProvider;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.CaseRunner;
import io.scanline.kernels.golden.CaseRunners;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.golden.RunOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One suite for every backend on the classpath (ggml's habit): random-shape op comparisons against
 * the reference, and every golden case (ops and registered model families) whole and in chunks of 7.
 * A backend that cannot run here is not skipped silently: the test asserts that it reports why, and
 * that opening it fails fast with that reason.
 */
class BackendConformanceTest {

    static Stream<String> backends() {
        return Backends.providers().keySet().stream();
    }

    static List<Path> goldenCases() throws IOException {
        Path g = Path.of(System.getProperty("scanline.shared", "../shared"), "golden");
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(g)) {
            for (Path d : s.sorted().toList()) {
                if (!Files.isRegularFile(d.resolve("io.safetensors"))) continue;
                String fam = GoldenCase.load(d).family();
                for (CaseRunner r : ServiceLoader.load(CaseRunner.class)) {
                    if (r.supports(fam)) {
                        out.add(d);
                        break;
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void backendPassesTheSuiteOrSaysWhyItCannotRun(String name) throws IOException {
        BackendProvider p = Backends.providers().get(name);
        String why = p.unavailableReason();
        if (why != null) {
            System.out.println("backend " + name + " unavailable here: " + why);
            assertFalse(why.isBlank(), "unavailable backend must say why");
            Backends.BackendUnavailableException e = assertThrows(Backends.BackendUnavailableException.class, () -> Backends.open(name));
            assertTrue(e.getMessage().contains(why), e.getMessage());
            return;
        }
        List<String> failures = new ArrayList<>();
        int checked = 0;
        try (Backend be = Backends.open(name)) {
            for (Comparison c : OpConformance.run(be, new ReferenceBackend())) {
                checked++;
                if (!c.pass()) failures.add(c.format());
            }
            for (Path d : goldenCases()) {
                GoldenCase g = GoldenCase.load(d);
                for (int chunk : new int[] {0, 7}) {
                    for (Comparison c : CaseRunners.run(g, be, RunOptions.defaults().withChunk(chunk))) {
                        checked++;
                        if (!c.pass()) failures.add(g.name() + " chunk " + chunk + ": " + c.format());
                    }
                }
            }
        }
        System.out.println("backend " + name + ": " + checked + " comparisons, " + failures.size() + " failed");
        assertTrue(checked > 100, "suite ran too few comparisons: " + checked);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void referenceIsAlwaysAvailableAndUnknownNamesFail() {
        assertNotNull(Backends.providers().get("reference"));
        Backends.BackendUnavailableException e = assertThrows(Backends.BackendUnavailableException.class, () -> Backends.open("nosuch"));
        assertTrue(e.getMessage().contains("unknown backend 'nosuch'"), e.getMessage());
    }
}
