package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.scanline.kernels.backend.djl.DjlTestSupport.close;
import static io.scanline.kernels.backend.djl.DjlTestSupport.closeM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The paths the djl backend takes for speed, against the reference on awkward shapes (length 1, odd
 * widths): staged copies reused across ops of changing sizes, host loops (elementwise ops, conv taps,
 * depthwise 3x3, RoPE, small norms), norms on both sides of the host/libtorch threshold, SSD inner
 * chunks longer than its cap, and the fused mLSTM.
 *
 * <p>Glossary: B batch, L tokens, C/E channels, K taps, H/P/G/N SSD heads/head dim/groups/state,
 * NH/DH mLSTM heads/head dim. Tolerances as in the other djl tests (spec ops §2); the elementwise
 * ops must match bit for bit (same once-rounded value).
 */
class DjlHostPathsTest {
    static final double TOL = 2e-6, REC_TOL = 1e-5;
    static Backend djl;
    static final Backend REF = new ReferenceBackend();
    final RandomTensors r = new RandomTensors(29);

    @BeforeAll
    static void open() { djl = DjlTestSupport.open(); }

    @AfterAll
    static void shut() { djl.close(); }

    /** Slots of the staging area are reused by the next op; sizes growing and shrinking must not leak values. */
    @Test
    void stagedCopiesSurviveChangingSizes() {
        for (int[] s : new int[][] {{1, 3, 8}, {2, 129, 40}, {1, 1, 8}, {3, 64, 40}, {1, 2, 8}}) {
            Tensor x = r.normal(0, 1, s), w = r.normal(0, 0.2, 5, s[2]), b = r.normal(0, 1, 5);
            close("linear " + java.util.Arrays.toString(s), djl.linear(x, w, b), REF.linear(x, w, b), TOL);
            close("silu " + java.util.Arrays.toString(s), djl.silu(x), REF.silu(x), TOL);
        }
    }

    @Test
    void hostConvolutions() {
        for (int[] s : new int[][] {{1, 1, 3}, {2, 5, 7}, {1, 33, 16}}) {
            for (int k : new int[] {1, 2, 4}) {
                Tensor x = r.normal(0, 1, s), w = r.normal(0, 0.5, s[2], k), bias = r.normal(0, 1, s[2]);
                Tensor t0 = r.normal(0, 1, s[0], k - 1, s[2]), t1 = t0.copy();
                for (boolean silu : new boolean[] {false, true}) {
                    String what = "conv1d " + java.util.Arrays.toString(s) + " K " + k + " silu " + silu;
                    close(what, djl.causalConv1d(x, w, silu ? bias : null, t0, silu), REF.causalConv1d(x, w, silu ? bias : null, t1, silu), TOL);
                    close(what + " tail", t0, t1, 0);
                }
            }
        }
        for (int[] s : new int[][] {{1, 1, 1, 4}, {2, 3, 5, 7}, {1, 2, 9, 12}}) {
            Tensor x = r.normal(0, 1, s), w = r.normal(0, 0.4, s[3], 3, 3), b = r.normal(0, 1, s[3]);
            close("depthwise " + java.util.Arrays.toString(s), djl.depthwiseConv2d3x3(x, w, b), REF.depthwiseConv2d3x3(x, w, b), TOL);
            close("depthwise no bias", djl.depthwiseConv2d3x3(x, w, null), REF.depthwiseConv2d3x3(x, w, null), TOL);
        }
    }

    @Test
    void normsOnBothSidesOfTheHostThreshold() {
        int c = 48;
        for (int rows : new int[] {1, DjlBackend.HOST_NORM_MAX / c, DjlBackend.HOST_NORM_MAX / c + 1, 2 * DjlBackend.HOST_NORM_MAX / c + 3}) {
            Tensor x = r.normal(0.5, 2, 1, rows, c), g = r.normal(1, 0.3, c), b = r.normal(0, 1, c);
            String what = " rows " + rows;
            close("layerNorm" + what, djl.layerNorm(x, g, b, 1e-5), REF.layerNorm(x, g, b, 1e-5), TOL);
            close("groupLayerNorm" + what, djl.groupLayerNorm(x, 16, g, null, 1e-5), REF.groupLayerNorm(x, 16, g, null, 1e-5), TOL);
            close("rmsNorm" + what, djl.rmsNorm(x, g, 1e-5), REF.rmsNorm(x, g, 1e-5), TOL);
            close("groupRms" + what, djl.groupRmsNorm(x, 12, null, 1e-6), REF.groupRmsNorm(x, 12, null, 1e-6), TOL);
        }
    }

    /** The host LayerNorm centres in fp32 against a float-pair mean: a mean 10^4 spreads wide must not leak in. */
    @Test
    void layerNormWithALargeMean() {
        for (int c : new int[] {1, 7, 384}) {
            Tensor x = r.normal(1e4, 1e-2, 2, 5, c), g = r.normal(1, 0.3, c), b = r.normal(0, 1, c);
            close("layerNorm mean 1e4 C " + c, djl.layerNorm(x, g, b, 1e-12), REF.layerNorm(x, g, b, 1e-12), TOL);
            close("groupLayerNorm mean 1e4 C " + c, djl.groupLayerNorm(x, 1, g, b, 1e-12), REF.groupLayerNorm(x, 1, g, b, 1e-12), TOL);
        }
    }

    @Test
    void patchEmbedWithOverlappingStride() {
        Tensor img = r.normal(0, 1, 2, 3, 11, 13), w = r.normal(0, 0.1, 5, 3, 4, 4), b = r.normal(0, 1, 5);
        for (int stride : new int[] {1, 3, 4}) {
            close("patch stride " + stride, djl.patchEmbed(img, w, b, stride), REF.patchEmbed(img, w, b, stride), TOL);
        }
    }

    /** Chunks above the SSD cap are split inside; RECURRENT ignores its chunk argument. */
    @Test
    void ssdLongChunksAndShortCalls() {
        int h = 4, p = 3, g = 2, n = 5;
        for (int l : new int[] {1, 129, 301}) {
            Tensor x = r.normal(0, 1, 1, l, h, p), dt = r.normal(-1, 1, 1, l, h), a = r.uniform(-2, -0.1, h);
            Tensor bm = r.normal(0, 1, 1, l, g, n), cm = r.normal(0, 1, 1, l, g, n), d = r.normal(0, 1, h), db = r.normal(0, 0.3, h);
            Tensor s0 = r.normal(0, 1, 1, h, p, n);
            for (SsdForm form : SsdForm.values()) {
                Tensor s1 = s0.copy(), s2 = s0.copy();
                String what = "ssd L " + l + " " + form;
                close(what, djl.ssd(form, 300, x, dt, a, bm, cm, d, db, true, s1), REF.ssd(form, 300, x, dt, a, bm, cm, d, db, true, s2), REC_TOL);
                close(what + " state", s1, s2, REC_TOL);
            }
        }
    }

    @Test
    void mlstmShortCallsAndLongChunks() {
        int nh = 3, dh = 5;
        for (int l : new int[] {1, 2, 17}) {
            Tensor q = r.normal(0, 1, 2, l, nh, dh), k = r.normal(0, 1, 2, l, nh, dh), v = r.normal(0, 1, 2, l, nh, dh);
            Tensor ig = r.normal(0, 2, 2, l, nh), fg = r.normal(2, 2, 2, l, nh);
            Tensor c0 = r.normal(0, 1, 2, nh, dh, dh), n0 = r.normal(0, 1, 2, nh, dh), m0 = r.normal(0, 1, 2, nh);
            for (MlstmForm form : MlstmForm.values()) {
                for (int chunk : new int[] {1, 4, 64}) {
                    Tensor c1 = c0.copy(), n1 = n0.copy(), m1 = m0.copy(), c2 = c0.copy(), n2 = n0.copy(), m2 = m0.copy();
                    String what = "mlstm L " + l + " " + form + " chunk " + chunk;
                    close(what, djl.mlstm(form, chunk, q, k, v, ig, fg, c1, n1, m1, 1e-6),
                            REF.mlstm(form, chunk, q, k, v, ig, fg, c2, n2, m2, 1e-6), REC_TOL);
                    close(what + " C", c1, c2, REC_TOL);
                    close(what + " n", n1, n2, REC_TOL);
                    closeM(what + " m", m1, m2, REC_TOL);
                }
            }
        }
    }
}
