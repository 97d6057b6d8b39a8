package io.scanline.kernels.heads;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Masks from a token stream are identical, byte for byte, whatever the chunk size: the heads are per token
 * and the grid places cells by token position. The stream's mask is also compared with a direct
 * whole-image reference (all cells on one grid, bilinear per pixel, threshold). Exact equality is the
 * claim, so no tolerance: every chunking performs the same per-token arithmetic.
 */
class MaskChunkInvarianceTest {
    // odd grid (7 x 9 tokens), image not a multiple of the patch (pixels beyond the grid are clamped)
    static final int D = 8, PATCH = 8, S = 4, HEIGHT = 7 * PATCH + 5, WIDTH = 9 * PATCH + 3;

    @Test
    void linearHeadMaskIsChunkIndependent() {
        check(false, 1);
    }

    @Test
    void multiLevelDecoderMaskIsChunkIndependent() {
        check(true, 1);
    }

    @Test
    void multiClassMaskIsChunkIndependent() {
        check(false, 3);
    }

    private void check(boolean decoder, int classes) {
        DenseHeads heads = DenseHeads.load(HeadFixtures.config(D, PATCH, S, classes, 24, 0, 0), HeadFixtures.weights(D, S, classes, 11));
        CellHead head = heads.segmentation(decoder);
        int hp = HEIGHT / PATCH, wp = WIDTH / PATCH, m = hp * wp, total = m + 1;   // + class token (last)
        Random r = new Random(5);
        float[] feats = HeadFixtures.randomRows(r, total, D), layer0 = HeadFixtures.randomRows(r, total, D);
        byte[] whole = run(heads, head, feats, layer0, List.of(total));
        assertArrayEquals(reference(heads, head, feats, layer0, classes), whole, "stream vs direct reference");
        int ones = 0;
        for (byte b : whole) if (b != 0) ones++;
        assertTrue(ones > 0 && ones < whole.length, "a mask with both labels makes the comparison meaningful");
        for (int c : new int[]{1, 2, 3, 5, 7, wp - 1, wp, wp + 1, 2 * wp, m - 1, m, total}) {
            List<Integer> chunks = new ArrayList<>();
            for (int left = total; left > 0; left -= c) chunks.add(Math.min(c, left));
            assertArrayEquals(whole, run(heads, head, feats, layer0, chunks), "chunk " + c);
        }
        for (int k = 0; k < 10; k++) {
            assertArrayEquals(whole, run(heads, head, feats, layer0, HeadFixtures.randomChunks(new Random(100 + k), total)), "random partition " + k);
        }
    }

    static byte[] run(DenseHeads heads, CellHead head, float[] feats, float[] layer0, List<Integer> chunks) {
        HeadFixtures.MaskCollector out = new HeadFixtures.MaskCollector(WIDTH);
        DenseStream st = new DenseStream(heads, head, null, HEIGHT, WIDTH, out, b -> {});
        int t = 0;
        for (int n : chunks) {
            TokenLevels lv = new TokenLevels(n, D)
                    .put(TokenLevels.FEATURES, Arrays.copyOfRange(feats, t * D, (t + n) * D))
                    .put("layer.0.output", Arrays.copyOfRange(layer0, t * D, (t + n) * D));
            st.accept(t, lv);
            t += n;
        }
        st.finish();
        assertTrue(out.finished);
        assertEquals(HEIGHT, out.nextY);
        return out.mask();
    }

    /** Direct computation: all tokens at once, full (C, Hc, Wc) grid, bilinear per pixel. */
    static byte[] reference(DenseHeads heads, CellHead head, float[] feats, float[] layer0, int classes) {
        int hp = HEIGHT / PATCH, wp = WIDTH / PATCH, m = hp * wp, hc = hp * S, wc = wp * S;
        TokenLevels lv = new TokenLevels(m, D).put(TokenLevels.FEATURES, Arrays.copyOf(feats, m * D))
                .put("layer.0.output", Arrays.copyOf(layer0, m * D));
        float[] cells = head.cells(lv, m);
        float[] grid = new float[classes * hc * wc];
        for (int t = 0; t < m; t++) {
            for (int k = 0; k < classes; k++) {
                for (int a = 0; a < S; a++) {
                    for (int b = 0; b < S; b++) {
                        grid[(k * hc + (t / wp) * S + a) * wc + (t % wp) * S + b] = cells[t * classes * S * S + (k * S + a) * S + b];
                    }
                }
            }
        }
        byte[] out = new byte[HEIGHT * WIDTH];
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int best = 0;
                double bv = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    double v = PixelMask.bilinearAt(grid, hc, wc, k, PATCH / S, y, x);
                    if (v > bv) { bv = v; best = k; }
                }
                out[y * WIDTH + x] = classes == 1 ? (bv > heads.segmentationThreshold() ? (byte) 255 : 0) : (byte) best;
            }
        }
        return out;
    }
}
