package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.io.Safetensors;
import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared test plumbing for model families: loading golden cases from {@code scanline.shared},
 * building their models, and comparing outputs with the spec's normwise metric (ops §2).
 */
public final class FamilyGoldenSupport {
    /** Model cases vs fp64 goldens: fp32 engine over several blocks (golden README, ops §2). */
    public static final double GOLDEN_TOL = 1e-4;
    /**
     * Chunked vs whole on the reference backend: its per-token arithmetic does not depend on where a
     * chunk starts (RefScans), so the results should agree to rounding of the order of 1e-7 at most.
     */
    public static final double CHUNK_TOL = 1e-6;

    private FamilyGoldenSupport() {}

    public static Backend reference() {
        return new ReferenceBackend();
    }

    /** The golden case folder; a missing data folder fails the test instead of skipping it. */
    public static GoldenCase golden(String name) {
        String shared = System.getProperty("scanline.shared", "../shared");
        Path dir = Path.of(shared, "golden", name);
        assertTrue(Files.isDirectory(dir), "golden case missing: " + dir.toAbsolutePath() + " (set -Dscanline.shared)");
        try {
            return GoldenCase.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static StreamingModel build(GoldenCase g) {
        try {
            return ModelFamilies.get(g.family()).build(g.config(), Weights.load(g.dir(), g.config()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The case's model run on the reference backend over the case's input image. */
    public static ModelOutput run(StreamingModel m, GoldenCase g, StreamOptions o) {
        return m.forward(reference(), image(g), o);
    }

    public static ImageSource image(GoldenCase g) {
        return ImageSource.of(g.tensor("input.image").toF32());
    }

    public static StreamOptions options(int chunk) {
        return StreamOptions.defaults().withChunk(chunk).withLayerOutputs(true);
    }

    /** Every stored output of the case is produced and within tol. */
    public static void assertGolden(GoldenCase g, ModelOutput out, double tol, String what) {
        for (Map.Entry<String, Tensor> e : g.io().entrySet()) {
            if (e.getKey().equals("input.image")) continue;
            Tensor mine = out.get(e.getKey());
            assertNotNull(mine, what + ": output " + e.getKey() + " not produced");
            Comparison c = Comparison.relative(e.getKey(), mine, e.getValue(), tol);
            assertTrue(c.pass(), what + ": " + c.format());
        }
    }

    /** Every output of {@code ref} is also in {@code out} and agrees within tol. */
    public static void assertSameOutputs(ModelOutput ref, ModelOutput out, double tol, String what) {
        assertTrue(ref.tensors().size() >= 3, what + ": too few outputs to compare: " + ref.tensors().keySet());
        for (Map.Entry<String, Tensor> e : ref.tensors().entrySet()) {
            Tensor mine = out.get(e.getKey());
            assertNotNull(mine, what + ": output " + e.getKey() + " missing");
            Comparison c = Comparison.relative(e.getKey(), mine, e.getValue(), tol);
            assertTrue(c.pass(), what + ": " + c.format());
        }
    }

    /** Every tensor of {@code expected} is in {@code out} and agrees within tol. */
    public static void assertSame(Map<String, Tensor> expected, ModelOutput out, double tol, String what) {
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor mine = out.get(e.getKey());
            assertNotNull(mine, what + ": output " + e.getKey() + " not produced");
            Comparison c = Comparison.relative(e.getKey(), mine, e.getValue(), tol);
            assertTrue(c.pass(), what + ": " + c.format());
        }
    }

    /**
     * A carried-state snapshot written to a safetensors file and read back: what a state backend
     * would hand a fresh pass object after a restart (spec streaming §2, restore level).
     */
    public static Map<String, Tensor> serializeRoundTrip(Map<String, Tensor> snapshot) {
        try {
            Path f = Files.createTempFile("scanline-state-", ".safetensors");
            try {
                Safetensors.write(f, snapshot, Map.of());
                return Safetensors.readAll(f);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every output of {@code expected} is in {@code out} with the same bits. */
    public static void assertBitIdentical(ModelOutput expected, ModelOutput out, String what) {
        assertTrue(expected.tensors().size() >= 3, what + ": too few outputs to compare: " + expected.tensors().keySet());
        for (Map.Entry<String, Tensor> e : expected.tensors().entrySet()) {
            Tensor mine = out.get(e.getKey());
            assertNotNull(mine, what + ": output " + e.getKey() + " missing");
            assertArrayEquals(e.getValue().f32(), mine.f32(), what + ": " + e.getKey());
        }
    }

    /** max|a − b| / max|b| over one tensor. */
    public static double relErr(Tensor a, Tensor b) {
        return Comparison.relative("x", a, b, 1).relErr();
    }
}
