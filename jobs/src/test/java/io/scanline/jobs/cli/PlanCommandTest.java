package io.scanline.jobs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.model.ModelFamilies;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code scanline plan} on golden case folders: the printed bytes follow from the model's own plan. */
class PlanCommandTest {
    static final Path GOLDEN = Path.of(System.getProperty("scanline.shared", "../shared"), "golden");

    private static String run(int expectedExit, String... args) {
        PrintStream old = System.out, oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(ps);
        System.setErr(ps);
        int rc;
        try {
            rc = ScanlineCli.execute(args);
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, rc, out);
        return out;
    }

    private static StreamingModel model(Path dir) throws Exception {
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        return ModelFamilies.get(cfg.get("family").asText()).build(cfg, Weights.load(dir, cfg));
    }

    @Test
    void adventurerStoreSpillsBeyondTheBudget() throws Exception {
        Path dir = GOLDEN.resolve("adventurer_d4_e128_224x224");
        // 480x320 px, patch 16: a 30x20 grid, 600 patches + class token
        Plan plan = model(dir).plan(30, 20);
        long store = 4L * plan.storeFloatsPerToken() * 601, budget = 100_000;
        String out = run(0, "plan", "--model", dir.toString(), "--size", "480x320", "--spill-memory", String.valueOf(budget));
        assertTrue(out.contains(plan.describe()), out);
        assertTrue(out.contains("grid 30x20 patches, 601 tokens"), out);
        assertTrue(out.contains("carried state: " + 4L * plan.carriedStateFloatsPerImage() + " bytes/image"), out);
        assertTrue(store > budget, "the case must exercise spilling");
        assertTrue(out.contains("barrier store: " + store + " bytes/image (memory " + budget + ", spilled to disk " + (store - budget)), out);
    }

    @Test
    void vilHasNoClassTokenAndFitsInMemoryByDefault() throws Exception {
        Path dir = GOLDEN.resolve("vil2_d2_64x64");
        Plan plan = model(dir).plan(7, 5);   // 112x80 px, patch 16
        long store = 4L * plan.storeFloatsPerToken() * 35;
        String out = run(0, "plan", "--model", dir.toString(), "--size", "112x80");
        assertTrue(out.contains("grid 7x5 patches, 35 tokens"), out);
        assertTrue(out.contains("barrier store: " + store + " bytes/image (memory " + store + ", spilled to disk 0"), out);
    }

    @Test
    void defocusHasNoStore() {
        String out = run(0, "plan", "--model", GOLDEN.resolve("defocus_mamba_d3_64x64").toString(), "--size", "4096x4096");
        assertTrue(out.contains("0 barrier(s)"), out);
        assertTrue(out.contains("barrier store: 0 bytes/image"), out);
    }

    @Test
    void badInputsFailWithOneLine() {
        String dir = GOLDEN.resolve("vim_d2_64x64").toString();
        assertTrue(run(1, "plan", "--model", dir, "--size", "64by64").contains("--size must be HxW"));
        assertTrue(run(1, "plan", "--model", dir, "--size", "8x64").contains("smaller than one patch"));
        assertTrue(run(1, "plan", "--model", GOLDEN.toString(), "--size", "64x64").contains("no config.json"));
    }
}
