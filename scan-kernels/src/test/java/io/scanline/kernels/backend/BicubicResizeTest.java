package io.scanline.kernels.backend;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.io.Safetensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bicubic resize against PyTorch's upsample_bicubic2d computed in float64 (fixture made by
 * src/test/python/make_bicubic_fixture.py). Our result is fp64 rounded once to fp32, so the only
 * error is that rounding: 2^-24 ≈ 6e-8 relative; tolerance 1e-7.
 */
class BicubicResizeTest {
    @Test
    void matchesPytorch() throws Exception {
        Map<String, Tensor> fx = Safetensors.readAll(Path.of(getClass().getResource("/fixtures/bicubic_torch.safetensors").toURI()));
        Backend be = new ReferenceBackend();
        int cases = 0;
        for (int i = 0; fx.containsKey("case" + i + ".in"); i++, cases++) {
            Tensor in = fx.get("case" + i + ".in").toF32(), ref = fx.get("case" + i + ".out");
            Tensor out = be.bicubicResize(in, ref.dim(1), ref.dim(2));
            Comparison c = Comparison.relative("case" + i, out, ref, 1e-7);
            assertTrue(c.pass(), c.format());
        }
        assertEquals(7, cases);
    }

    @Test
    void sameSizeIsIdentity() {
        Tensor t = new io.scanline.kernels.bench.RandomTensors(3).normal(0, 1, 2, 5, 9);
        assertArrayEquals(t.f32(), new ReferenceBackend().bicubicResize(t, 5, 9).f32());
    }
}
