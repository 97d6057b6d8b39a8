package io.scanline.kernels.heads;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.model.WeightsException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad configs, weights and streams fail with a message that names the problem. */
class DenseHeadsErrorsTest {
    static final int D = 8, PATCH = 16, S = 4;

    @Test
    void configProblemsAreNamed() {
        assertMessage(WeightsException.class, "no 'dense_heads'", () -> DenseHeads.load(HeadFixtures.JSON.createObjectNode()
                .put("embed_dim", D).put("patch_size", PATCH), HeadFixtures.weights(D, S, 1, 1)));
        ObjectNode c = HeadFixtures.config(D, PATCH, S, 1, 32, 100, 16);
        assertMessage(WeightsException.class, "multiples of patch_size", () -> DenseHeads.load(c, HeadFixtures.weights(D, S, 1, 1)));
        ObjectNode c2 = HeadFixtures.config(D, PATCH, 3, 1, 32, 0, 0);
        assertMessage(WeightsException.class, "must divide patch_size", () -> DenseHeads.load(c2, HeadFixtures.weights(D, 3, 1, 1)));
        ObjectNode c3 = HeadFixtures.config(D, PATCH, S, 1, 32, 0, 0);
        ((ObjectNode) c3.at("/dense_heads/detection")).putArray("classes");
        assertMessage(WeightsException.class, "at least one class", () -> DenseHeads.load(c3, HeadFixtures.weights(D, S, 1, 1)));
    }

    @Test
    void weightProblemsNameTheKeyAndShape() {
        // config says 2 classes, weights hold 1: the seg head key has the wrong shape
        ObjectNode c = HeadFixtures.config(D, PATCH, S, 2, 32, 0, 0);
        assertMessage(WeightsException.class, "seg_head.weight", () -> DenseHeads.load(c, HeadFixtures.weights(D, S, 1, 1)));
    }

    @Test
    void brokenStreamsAreReported() {
        DenseHeads heads = DenseHeads.load(HeadFixtures.config(D, PATCH, S, 1, 32, 0, 0), HeadFixtures.weights(D, S, 1, 1));
        HeadFixtures.MaskCollector out = new HeadFixtures.MaskCollector(3 * PATCH);
        DenseStream st = new DenseStream(heads, heads.segmentation(false), heads.detection(), 2 * PATCH, 3 * PATCH, out, b -> {});
        float[] rows = HeadFixtures.randomRows(new java.util.Random(1), 4, D);
        st.accept(0, TokenLevels.features(rows, 4, D));
        assertMessage(IllegalStateException.class, "expected 4", () -> st.accept(5, TokenLevels.features(rows, 4, D)));
        assertMessage(IllegalStateException.class, "ended at token 4 of 6", st::finish);
        TokenCellGrid g = new TokenCellGrid(2, 2, S, 1, new CellRowSink() {
            @Override public void acceptRows(int firstRow, float[] r, int count) {}
            @Override public void finish() {}
        });
        g.accept(0, new float[S * S], 1);
        assertMessage(IllegalStateException.class, "delivered twice", () -> g.accept(0, new float[S * S], 1));
        assertMessage(IllegalArgumentException.class, "smaller than one patch",
                () -> new DenseStream(heads, null, null, PATCH - 1, 100, out, b -> {}));
    }

    static void assertMessage(Class<? extends Throwable> type, String part, org.junit.jupiter.api.function.Executable run) {
        Throwable t = assertThrows(type, run);
        assertTrue(t.getMessage() != null && t.getMessage().contains(part), "message '" + t.getMessage() + "' should mention '" + part + "'");
    }

    @Test
    void windowPlanRejectsOverlapAsLargeAsTheWindow() {
        assertThrows(IllegalArgumentException.class, () -> new WindowPlan(10, 10, 4, 4));
        assertEquals(1, new WindowPlan(1, 1, 4, 0).windows().size());
    }
}
