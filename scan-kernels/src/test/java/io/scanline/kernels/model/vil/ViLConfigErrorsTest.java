package io.scanline.kernels.model.vil;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wrong, missing and unexpected keys, shape mismatches and unknown config values name the key. */
class ViLConfigErrorsTest {

    private static Map<String, Tensor> weights(ObjectNode cfg) {
        return ViLRandom.tensors(cfg, 2, 2, 3);
    }

    private static String failure(ObjectNode cfg, Consumer<Map<String, Tensor>> edit) {
        Map<String, Tensor> m = weights(cfg);
        edit.accept(m);
        Weights w = new Weights("test", m);
        var family = cfg.path("family").asText().equals("vil2") ? new Vil2Family() : new Vil1Family();
        return assertThrows(WeightsException.class, () -> family.build(cfg, w)).getMessage();
    }

    @Test
    void randomModelsBuild() {
        ObjectNode c2 = ViLRandom.vil2Config(8, 1, 3, 32, 32), c1 = ViLRandom.vil1Config(8, 2, 3, 32, 32);
        assertTrue(new Vil2Family().build(c2, new Weights("t", weights(c2))).plan(2, 2).passes().size() == 2);
        assertTrue(new Vil1Family().build(c1, new Weights("t", weights(c1))).plan(2, 2).passes().size() == 2);
    }

    @Test
    void missingKeyNamesKeyAndShape() {
        String key = "blocks.0.rowwise_from_bot_right.layer.proj_up.weight";
        String msg = failure(ViLRandom.vil2Config(8, 1, 3, 32, 32), m -> m.remove(key));
        assertTrue(msg.contains("missing key '" + key + "'") && msg.contains("[32, 8]"), msg);
        String k1 = "blocks.1.layer.conv1d.conv.weight";
        msg = failure(ViLRandom.vil1Config(8, 2, 3, 32, 32), m -> m.remove(k1));
        assertTrue(msg.contains(k1) && msg.contains("[16, 1, 4]"), msg);
    }

    @Test
    void shapeMismatchNamesKeyAndExpectedShape() {
        String key = "blocks.0.rowwise_from_top_left.layer.mlstm_cell.igate.weight";
        String msg = failure(ViLRandom.vil2Config(8, 1, 3, 32, 32), m -> m.put(key, Tensor.zeros(16, 48)));
        assertTrue(msg.contains(key) && msg.contains("[16, 48]") && msg.contains("expected [4, 48]"), msg);
        msg = failure(ViLRandom.vil2Config(8, 1, 3, 32, 32), m -> m.put("pos_embed.embed", Tensor.zeros(1, 2, 2, 9)));
        assertTrue(msg.contains("pos_embed.embed") && msg.contains("[1, Hp0, Wp0, 8]"), msg);
    }

    @Test
    void unexpectedKeyIsRejected() {
        String msg = failure(ViLRandom.vil2Config(8, 1, 3, 32, 32), m -> m.put("blocks.7.extra", Tensor.zeros(1)));
        assertTrue(msg.contains("unexpected keys") && msg.contains("blocks.7.extra"), msg);
        // a v1 checkpoint given to v2 names what it lacks
        ObjectNode c1 = ViLRandom.vil1Config(8, 2, 3, 32, 32);
        Weights v1 = new Weights("v1", weights(c1));
        String m2 = assertThrows(WeightsException.class, () -> new Vil2Family().build(ViLRandom.vil2Config(8, 1, 3, 32, 32), v1)).getMessage();
        assertTrue(m2.contains("blocks.0.rowwise_from_top_left"), m2);
    }

    @Test
    void unknownConfigValuesNameTheKey() {
        ObjectNode c = ViLRandom.vil2Config(8, 1, 3, 32, 32);
        c.put("conv_kind", "3d");
        String msg = failure(c, m -> {});
        assertTrue(msg.contains("'conv_kind'") && msg.contains("'3d'"), msg);
        c = ViLRandom.vil2Config(8, 1, 3, 32, 32);
        c.put("pooling", "max");
        msg = failure(c, m -> {});
        assertTrue(msg.contains("'pooling'") && msg.contains("'max'"), msg);
        c = ViLRandom.vil2Config(8, 1, 3, 32, 32);
        c.put("stride", 8);
        msg = failure(c, m -> {});
        assertTrue(msg.contains("'stride'"), msg);
        c = ViLRandom.vil2Config(8, 1, 3, 32, 32);
        c.put("depth", "two");
        msg = failure(c, m -> {});
        assertTrue(msg.contains("'depth'"), msg);
        ObjectNode c1 = ViLRandom.vil1Config(8, 2, 3, 32, 32);
        c1.put("alternation", "unidirectional");
        msg = failure(c1, m -> {});
        assertTrue(msg.contains("'alternation'"), msg);
    }
}
