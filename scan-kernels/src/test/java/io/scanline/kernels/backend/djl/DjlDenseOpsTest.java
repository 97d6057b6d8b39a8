package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.scanline.kernels.backend.djl.DjlTestSupport.close;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Dense ops of the djl backend against the reference on seeded random and awkward shapes.
 *
 * <p>Tolerance 2e-6 (normwise, spec ops §2): the reference accumulates in double and rounds once,
 * libtorch accumulates reductions of ≤ 768 terms in fp32 (error ~√n·6e-8 ≈ 2e-6 at worst).
 * Bicubic and RoPE are computed in fp64 on both sides and rounded once: 1e-7.
 */
class DjlDenseOpsTest {
    static final double TOL = 2e-6;
    static Backend djl;
    static final Backend REF = new ReferenceBackend();
    final RandomTensors r = new RandomTensors(11);

    @BeforeAll
    static void open() { djl = DjlTestSupport.open(); }

    @AfterAll
    static void shut() { djl.close(); }

    @Test
    void linearAndHeadwise() {
        for (int[] s : new int[][] {{1, 1, 3}, {2, 7, 33}, {1, 197, 192}}) {
            Tensor x = r.normal(0, 1, s), w = r.normal(0, 0.2, 5, s[2]), b = r.normal(0, 1, 5);
            close("linear", djl.linear(x, w, b), REF.linear(x, w, b), TOL);
            close("linear no bias", djl.linear(x, w, null), REF.linear(x, w, null), TOL);
        }
        Tensor x = r.normal(0, 1, 2, 9, 24), w = r.normal(0, 0.5, 6, 4, 4), b = r.normal(0, 1, 24);
        close("headwise", djl.headwiseLinear(x, w, b), REF.headwiseLinear(x, w, b), TOL);
        close("headwise no bias", djl.headwiseLinear(x, w, null), REF.headwiseLinear(x, w, null), TOL);
        assertThrows(IllegalArgumentException.class, () -> djl.linear(x, r.normal(0, 1, 3, 5), null));
        assertThrows(IllegalArgumentException.class, () -> djl.headwiseLinear(r.normal(0, 1, 1, 2, 6), w, null));
    }

    @Test
    void norms() {
        Tensor x = r.normal(0.5, 2, 2, 11, 48), g = r.normal(1, 0.3, 48), b = r.normal(0, 1, 48), z = r.normal(0, 2, 2, 11, 48);
        close("layerNorm", djl.layerNorm(x, g, b, 1e-5), REF.layerNorm(x, g, b, 1e-5), TOL);
        close("layerNorm no affine", djl.layerNorm(x, null, null, 1e-6), REF.layerNorm(x, null, null, 1e-6), TOL);
        close("groupLayerNorm", djl.groupLayerNorm(x, 16, g, b, 1e-5), REF.groupLayerNorm(x, 16, g, b, 1e-5), TOL);
        close("groupLayerNorm no beta", djl.groupLayerNorm(x, 12, g, null, 1e-5), REF.groupLayerNorm(x, 12, g, null, 1e-5), TOL);
        close("rmsNorm", djl.rmsNorm(x, g, 1e-5), REF.rmsNorm(x, g, 1e-5), TOL);
        close("rmsNorm no weight", djl.rmsNorm(x, null, 1e-6), REF.rmsNorm(x, null, 1e-6), TOL);
        close("groupRms", djl.groupRmsNorm(x, 16, null, 1e-6), REF.groupRmsNorm(x, 16, null, 1e-6), TOL);
        close("gatedRms", djl.gatedRmsNorm(x, z, g, 48, 1e-5), REF.gatedRmsNorm(x, z, g, 48, 1e-5), TOL);
        close("gatedRms groups", djl.gatedRmsNorm(x, z, g, 8, 1e-5), REF.gatedRmsNorm(x, z, g, 8, 1e-5), TOL);
        assertThrows(IllegalArgumentException.class, () -> djl.groupLayerNorm(x, 5, g, b, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> djl.gatedRmsNorm(x, r.normal(0, 1, 2, 11, 47), g, 48, 1e-5));
    }

    @Test
    void elementwise() {
        Tensor a = r.normal(0, 3, 3, 5, 7), b = r.normal(0, 3, 3, 5, 7), v = r.normal(0, 1, 7);
        close("silu", djl.silu(a), REF.silu(a), TOL);
        close("add", djl.add(a, b), REF.add(a, b), TOL);
        close("mul", djl.mul(a, b), REF.mul(a, b), TOL);
        close("axpby", djl.axpby(a, 0.5, b, -0.25), REF.axpby(a, 0.5, b, -0.25), 1e-7);
        close("axpby null", djl.axpby(a, 0.3, null, 0), REF.axpby(a, 0.3, null, 0), 1e-7);
        close("mulChannels", djl.mulChannels(a, v), REF.mulChannels(a, v), TOL);
        assertThrows(IllegalArgumentException.class, () -> djl.add(a, r.normal(0, 1, 3, 5, 6)));
    }

    @Test
    void ropeAtLargePositions() {
        Tensor x = r.normal(0, 1, 2, 13, 16), f = r.uniform(0.01, 1, 16);
        long[] pos0 = {0, 50_000_017L};
        close("rope", djl.rope(x, f, pos0, 20.0), REF.rope(x, f, pos0, 20.0), 1e-7);
        close("rope rho 1", djl.rope(x, f, new long[] {3, 1}, 1.0), REF.rope(x, f, new long[] {3, 1}, 1.0), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> djl.rope(x, f, new long[] {0}, 1.0));
    }

    @Test
    void patchEmbedAndDepthwise() {
        Tensor img = r.normal(0, 1, 2, 3, 37, 45), w = r.normal(0, 0.1, 8, 3, 16, 16), b = r.normal(0, 1, 8);
        close("patch stride 16", djl.patchEmbed(img, w, b, 16), REF.patchEmbed(img, w, b, 16), TOL);
        close("patch stride 8", djl.patchEmbed(img, w, b, 8), REF.patchEmbed(img, w, b, 8), TOL);
        close("patch no bias", djl.patchEmbed(img, w, null, 16), REF.patchEmbed(img, w, null, 16), TOL);
        assertThrows(IllegalArgumentException.class, () -> djl.patchEmbed(r.normal(0, 1, 1, 3, 8, 40), w, b, 16));
        for (int[] s : new int[][] {{1, 1, 1, 4}, {2, 3, 5, 12}, {1, 14, 14, 8}}) {
            Tensor x = r.normal(0, 1, s), dw = r.normal(0, 0.5, s[3], 3, 3), db = r.normal(0, 1, s[3]);
            close("depthwise " + s[1] + "x" + s[2], djl.depthwiseConv2d3x3(x, dw, db), REF.depthwiseConv2d3x3(x, dw, db), TOL);
            close("depthwise no bias", djl.depthwiseConv2d3x3(x, dw, null), REF.depthwiseConv2d3x3(x, dw, null), TOL);
        }
    }

    @Test
    void bicubicMatchesSpecFormula() {
        Tensor t = r.normal(0, 1, 3, 14, 14);
        for (int[] o : new int[][] {{27, 27}, {32, 48}, {7, 5}, {14, 14}, {1, 1}}) {
            close("bicubic " + o[0] + "x" + o[1], djl.bicubicResize(t, o[0], o[1]), REF.bicubicResize(t, o[0], o[1]), 1e-7);
        }
        Tensor odd = r.normal(0, 1, 2, 5, 7);
        close("bicubic 5x7->13x2", djl.bicubicResize(odd, 13, 2), REF.bicubicResize(odd, 13, 2), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> djl.bicubicResize(t, 0, 3));
    }
}
