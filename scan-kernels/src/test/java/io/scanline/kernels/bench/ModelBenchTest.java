package io.scanline.kernels.bench;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model benchmark finds the Mamba families through the SPI and reports a row per family and size;
 * its A/B form alternates two backends run by run. Glossary: A the measured backend, B the baseline,
 * segment = consecutive op calls that went to the same one of them.
 */
class ModelBenchTest {
    @Test
    void reportsEveryRequestedFamilyAndSize() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Set<String> fams = Set.of("defocus_mamba", "vim", "arm");
        List<ModelBench.Result> rs = ModelBench.run(new ReferenceBackend(), new int[] {32, 48}, 3, 1, fams,
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(6, rs.size(), buf.toString(StandardCharsets.UTF_8));
        for (ModelBench.Result r : rs) {
            assertTrue(fams.contains(r.family()));
            assertEquals(r.size() == 32 ? 5 : 10, r.tokens(), r.toString());   // 2×2 / 3×3 patches + class token
            assertTrue(r.tokensPerSecond() > 0 && r.stateBytes() > 0, r.toString());
            assertTrue(r.inputSeconds() > 0 && r.inputSeconds() < r.seconds(), "image reads are part of the forward: " + r);
            assertTrue(r.json("reference").contains("\"input_seconds\":"), r.json("reference"));
            assertEquals(r.family().equals("defocus_mamba") ? 0 : r.tokens() * 2 * 192 * 4, r.storeBytes(), r.toString());
        }
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("tokens/s"));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("input s"));
    }

    @Test
    void aBatchOfImagesCountsTheTokensOfAll() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<ModelBench.Result> rs = ModelBench.run(new ReferenceBackend(), new int[] {32}, 3, 1, 3, Set.of("vim", "vil2"), Map.of(), null, null,
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(2, rs.size(), text);
        for (ModelBench.Result r : rs) {
            assertEquals(3, r.batch());
            assertEquals(3 * (r.family().equals("vim") ? 5 : 4), r.tokens(), r.toString());   // 2×2 patches (+ class token) per image
            assertTrue(r.json("reference").contains("\"batch\":3"), r.json("reference"));
            assertEquals(r.family().equals("vim") ? r.tokens() * 2 * 192 * 4 : r.tokens() * 192 * 4, r.storeBytes(), r.toString());
        }
        assertTrue(text.contains("batch 3"), text);
        assertThrows(IllegalArgumentException.class, () -> ModelBench.run(new ReferenceBackend(), new int[] {32}, 3, 1, 0, Set.of("vim"),
                Map.of(), null, null, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    }

    @Test
    void baselineRunsAlternateWithTheBackendAndTheSpeedUpIsTheRatioOfTheMedians() {
        List<String> calls = new ArrayList<>();
        // B sleeps in every op so that the speed-up is clearly above 1 however noisy the machine
        Backend a = tagged(new ReferenceBackend(), "A", calls, 0), b = tagged(new ReferenceBackend(), "B", calls, 200_000);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int repeats = 3;
        List<ModelBench.Comparison> cs = ModelBench.compare(a, b, new int[] {64}, 16, repeats, 1, Set.of("vim"), Map.of(), null,
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, cs.size(), text);

        List<String> segs = new ArrayList<>();
        List<Integer> lens = new ArrayList<>();
        for (String c : calls) {
            if (segs.isEmpty() || !segs.get(segs.size() - 1).equals(c)) {
                segs.add(c);
                lens.add(0);
            }
            lens.set(lens.size() - 1, lens.get(lens.size() - 1) + 1);
        }
        // A's warm-up, B's warm-up, then A, B per repeat: one segment per timed run
        assertEquals(2 + 2 * repeats, segs.size(), segs.toString());
        for (int i = 0; i < segs.size(); i++) assertEquals(i % 2 == 0 ? "A" : "B", segs.get(i), segs.toString());
        for (int i = 2; i < lens.size(); i++) assertEquals(lens.get(2), lens.get(i), "same forward on both: " + lens);

        ModelBench.Comparison c = cs.get(0);
        assertEquals("vim", c.backend().family());
        assertEquals(c.baseline().seconds() / c.backend().seconds(), c.speedup(), 1e-12);
        assertTrue(c.speedup() > 1 && c.pairSpeedup() > 1, c.toString());

        assertTrue(text.contains("reference s") && text.contains("reference tok/s") && text.contains("reference(base) s")
                && text.contains("reference(base) tok/s") && text.contains("per pair"), text);
        String row = text.lines().filter(l -> l.startsWith("vim ")).findFirst().orElseThrow();
        String[] f = row.trim().split("\\s+");
        assertEquals(9, f.length, row);
        assertEquals(c.backend().seconds(), Double.parseDouble(f[3]), 5e-4, row);
        assertEquals(c.baseline().seconds(), Double.parseDouble(f[5]), 5e-4, row);
        assertEquals(String.format(Locale.ROOT, "%.2fx", c.speedup()), f[7], row);
        assertEquals(String.format(Locale.ROOT, "%.2fx", c.pairSpeedup()), f[8], row);
    }

    /** Forwards to {@code inner}, appending {@code tag} to {@code calls} for every op (and sleeping, if asked). */
    private static Backend tagged(Backend inner, String tag, List<String> calls, long sleepNanos) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, m, args) -> {
            boolean op = !(m.getName().equals("name") || m.getName().equals("close") || m.getDeclaringClass() == Object.class);
            if (op) {
                calls.add(tag);
                if (sleepNanos > 0) LockSupport.parkNanos(sleepNanos);
            }
            try {
                return m.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
