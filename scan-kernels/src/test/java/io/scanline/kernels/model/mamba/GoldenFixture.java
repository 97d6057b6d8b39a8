package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.ModelFamilies;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loads golden model cases from the shared data folder (system property scanline.shared) and compares outputs. */
final class GoldenFixture {
    /** fp32 engine vs fp64 official reference over a few blocks (spec ops §2). */
    static final double GOLDEN_TOL = 1e-4;
    /**
     * Chunked vs whole on the reference backend: its per-token arithmetic does not depend on where a
     * chunk starts (RefScans), so the results should agree to rounding of the order of 1e-7 at most.
     */
    static final double CHUNK_TOL = 1e-6;

    private GoldenFixture() {}

    static Path shared() {
        String p = System.getProperty("scanline.shared");
        assertNotNull(p, "system property scanline.shared is not set (the parent pom sets it for surefire)");
        Path dir = Path.of(p);
        assertTrue(Files.isDirectory(dir.resolve("golden")), "no golden folder under " + dir.toAbsolutePath());
        return dir;
    }

    static GoldenCase load(String name) throws IOException {
        Path d = shared().resolve("golden").resolve(name);
        assertTrue(Files.isDirectory(d), "golden case missing: " + d);
        return GoldenCase.load(d);
    }

    static StreamingModel model(GoldenCase g) throws IOException {
        return ModelFamilies.get(g.family()).build(g.config(), Weights.load(g.dir(), g.config()));
    }

    static ModelOutput run(StreamingModel m, GoldenCase g, StreamOptions o) {
        return m.forward(new ReferenceBackend(), ImageSource.of(g.tensor("input.image").toF32()), o);
    }

    static StreamOptions opts(int chunk) {
        return StreamOptions.defaults().withChunk(chunk).withLayerOutputs(true);
    }

    /** Every io tensor of the case (except the input) is produced and within tol. */
    static void assertMatchesGolden(GoldenCase g, ModelOutput out, String label) {
        for (Map.Entry<String, Tensor> e : g.io().entrySet()) {
            if (e.getKey().equals("input.image")) continue;
            Tensor mine = out.get(e.getKey());
            assertNotNull(mine, label + ": output " + e.getKey() + " not produced");
            Comparison c = Comparison.relative(e.getKey(), mine, e.getValue(), GOLDEN_TOL);
            assertTrue(c.pass(), label + ": " + c.format());
        }
    }

    static void assertSame(Map<String, Tensor> expected, ModelOutput out, double tol, String label) {
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor mine = out.get(e.getKey());
            assertNotNull(mine, label + ": output " + e.getKey() + " not produced");
            Comparison c = Comparison.relative(e.getKey(), mine, e.getValue(), tol);
            assertTrue(c.pass(), label + ": " + c.format());
        }
    }
}
