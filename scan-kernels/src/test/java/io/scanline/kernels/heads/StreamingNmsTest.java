package io.scanline.kernels.heads;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streaming NMS equals global greedy NMS for every way of cutting the box stream, and a box cut by a
 * chunk border (proposed by tokens on both sides) is reported once. Exact equality: both run the same
 * greedy NMS on the same components.
 */
class StreamingNmsTest {

    @Test
    void equalsGlobalNmsForRandomBandsAndCuts() {
        for (int seed = 0; seed < 30; seed++) {
            Random r = new Random(seed);
            int rows = 12, cols = 15, patch = 16;
            double maxBox = 40;
            List<Box> all = new ArrayList<>();
            List<List<Box>> byRow = new ArrayList<>();
            for (int row = 0; row < rows; row++) {
                List<Box> rb = new ArrayList<>();
                for (int c = 0; c < cols; c++) {
                    if (r.nextDouble() < 0.5) continue;
                    double cx = (c + 0.5 + (r.nextDouble() * 2 - 1)) * patch, cy = (row + 0.5 + (r.nextDouble() * 2 - 1)) * patch;
                    double w = maxBox * r.nextDouble(), h = maxBox * r.nextDouble();
                    // coarse scores make ties, which the token order must break the same way everywhere
                    Box b = new Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, Math.round(r.nextDouble() * 4) / 4.0, 0, (long) row * cols + c);
                    rb.add(b);
                    all.add(b);
                }
                byRow.add(rb);
            }
            List<Box> expected = sorted(BoxNms.apply(all, 0.3));
            assertTrue(expected.size() < all.size(), "some boxes must be suppressed for the test to mean something");
            // cut after random rows; the promise is the lowest top of any later row
            List<Box> got = new ArrayList<>();
            StreamingNms nms = new StreamingNms(0.3, got::add);
            DetectionHead bound = new DetectionHead(new Linear(new float[5], new float[5], 5, 1), maxBox, 0.5);
            for (int row = 0; row < rows; row++) {
                nms.add(byRow.get(row));
                if (r.nextBoolean()) nms.advance(bound.minTopFromRow(row + 1, patch));
            }
            nms.finish();
            assertEquals(expected, sorted(got), "seed " + seed);
            assertEquals(0, nms.pending());
        }
    }

    @Test
    void emitsEarlyWhenComponentsAreFinal() {
        List<Box> got = new ArrayList<>();
        StreamingNms nms = new StreamingNms(0.5, got::add);
        nms.add(List.of(new Box(0, 0, 10, 10, 0.9, 0, 0), new Box(1, 1, 11, 11, 0.8, 0, 1), new Box(0, 50, 10, 60, 0.7, 0, 2)));
        nms.advance(30);
        assertEquals(List.of(new Box(0, 0, 10, 10, 0.9, 0, 0)), got, "the top component is final, the lower one is not");
        assertEquals(1, nms.pending());
        assertThrows(IllegalStateException.class, () -> nms.add(List.of(new Box(0, 20, 5, 25, 0.5, 0, 3))),
                "a box above the promised frontier is a broken promise, not silently merged");
    }

    @Test
    void boxStraddlingAChunkBorderIsReportedOnce() {
        // identity detection head on 5-wide features: raw outputs are the features themselves
        int wp = 6, hp = 4, patch = 16;
        float[] eye = new float[25];
        for (int i = 0; i < 5; i++) eye[i * 5 + i] = 1;
        DetectionHead det = new DetectionHead(new Linear(eye, new float[5], 5, 5), 48, 0.5);
        // a nucleus centred on the border between token rows 1 and 2 (y = 32), seen by token (1, 3) and
        // token (2, 3): both propose nearly the same box
        int m = hp * wp;
        float[] f = new float[(m + 1) * 5];
        for (int t = 0; t < m; t++) f[t * 5] = -6;                       // background: score ~0.0025
        int above = wp + 3, below = 2 * wp + 3;
        set(f, above, 3, 0, atanh(0.5), 0, 0);      // centre (3.5, 2.0) patches, 24 x 24 px
        set(f, below, 2.5f, 0, atanh(-0.5), 0.1f, 0); // centre (3.5, 2.0), slightly wider
        for (int cut = 1; cut <= m + 1; cut++) {
            List<Box> got = new ArrayList<>();
            DenseStream st = new DenseStream(heads(det), null, det, hp * patch, wp * patch, null, got::add);
            st.accept(0, TokenLevels.features(java.util.Arrays.copyOfRange(f, 0, cut * 5), cut, 5));
            if (cut <= m) st.accept(cut, TokenLevels.features(java.util.Arrays.copyOfRange(f, cut * 5, (m + 1) * 5), m + 1 - cut, 5));
            st.finish();
            assertEquals(1, got.size(), "cut after token " + cut + ": " + got);
            assertEquals(above, got.get(0).token(), "the higher-scoring proposal survives");
            assertEquals(32.0, (got.get(0).y0() + got.get(0).y1()) / 2, 1e-4, "box centred on the border");
        }
    }

    static DenseHeads heads(DetectionHead det) {
        com.fasterxml.jackson.databind.node.ObjectNode c = HeadFixtures.JSON.createObjectNode().put("embed_dim", 5).put("patch_size", 16);
        com.fasterxml.jackson.databind.node.ObjectNode d = c.putObject("dense_heads").putObject("detection").put("key", "det_head")
                .put("max_box", det.maxBox()).put("nms_iou", 0.3);
        d.putArray("classes").add("obj");
        java.util.Map<String, io.scanline.kernels.tensor.Tensor> w = new java.util.HashMap<>();
        w.put("det_head.weight", io.scanline.kernels.tensor.Tensor.zeros(5, 5));
        w.put("det_head.bias", io.scanline.kernels.tensor.Tensor.zeros(5));
        return DenseHeads.load(c, new io.scanline.kernels.model.Weights("t", w));
    }

    static void set(float[] f, int token, float... v) {
        System.arraycopy(v, 0, f, token * 5, 5);
    }

    static float atanh(double x) {
        return (float) (0.5 * Math.log((1 + x) / (1 - x)));
    }

    static List<Box> sorted(List<Box> b) {
        List<Box> s = new ArrayList<>(b);
        s.sort(Comparator.comparingLong(Box::token).thenComparing(BoxNms.ORDER));
        return s;
    }
}
