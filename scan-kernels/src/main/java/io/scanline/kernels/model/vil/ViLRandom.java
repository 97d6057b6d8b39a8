package io.scanline.kernels.model.vil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Small random ViL models (config + weights under the official key names) for tests and benchmarks
 * at grids no golden case covers. Scales keep activations O(1) through a few blocks.
 *
 * <p>Glossary: D width, E = 2D, C classes, (Hp0, Wp0) positional table grid.
 */
public final class ViLRandom {
    private ViLRandom() {}

    /** A released-style vil2 config (bilateral_flatten, legacy_norm, 2d conv, all biases). */
    public static ObjectNode vil2Config(int dim, int depth, int classes, int height, int width) {
        ObjectNode c = base("vil2", dim, depth, classes, height, width);
        c.put("pooling", "bilateral_flatten");
        c.put("conv_kind", "2d");
        c.put("conv_kernel_size", 3);
        c.put("proj_bias", true);
        c.put("norm_bias", true);
        return c;
    }

    /** A released-style vil1 config (bilateral_avg, legacy_norm). */
    public static ObjectNode vil1Config(int dim, int depth, int classes, int height, int width) {
        ObjectNode c = base("vil1", dim, depth, classes, height, width);
        c.put("pooling", "bilateral_avg");
        c.put("alternation", "bidirectional");
        return c;
    }

    private static ObjectNode base(String family, int dim, int depth, int classes, int height, int width) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("family", family);
        c.put("dim", dim);
        c.put("depth", depth);
        c.putArray("input_shape").add(3).add(height).add(width);
        c.put("patch_size", 16);
        c.putArray("output_shape").add(classes);
        c.put("mode", "classifier");
        c.put("legacy_norm", true);
        c.putNull("stride");
        return c;
    }

    /** Random weights for a config made by {@link #vil2Config} or {@link #vil1Config}; table grid hp0 × wp0. */
    public static Weights weights(JsonNode cfg, int hp0, int wp0, long seed) {
        return new Weights("random " + cfg.path("family").asText(), tensors(cfg, hp0, wp0, seed));
    }

    /** The state_dict of {@link #weights}, mutable, for tests that edit keys. */
    public static Map<String, Tensor> tensors(JsonNode cfg, int hp0, int wp0, long seed) {
        RandomTensors r = new RandomTensors(seed);
        boolean v2 = cfg.path("family").asText().equals("vil2");
        int d = cfg.path("dim").asInt(), depth = cfg.path("depth").asInt(), e = 2 * d;
        int classes = cfg.path("output_shape").get(0).asInt();
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("patch_embed.proj.weight", r.normal(0, 0.02, d, 3, 16, 16));
        w.put("patch_embed.proj.bias", r.normal(0, 0.05, d));
        w.put("pos_embed.embed", r.normal(0, 0.1, 1, hp0, wp0, d));
        int blocks = v2 ? 2 * depth : depth;
        for (int b = 0; b < blocks; b++) {
            String p = v2 ? "blocks." + (b / 2) + "." + Vil2Family.DIRS[b % 2] + "." : "blocks." + b + ".";
            String l = p + "layer.";
            w.put(p + "norm.weight", r.normal(0, 0.1, d));
            w.put(l + "proj_up.weight", r.normal(0, Math.sqrt(2.0 / (5 * d)), 2 * e, d));
            for (String q : new String[] {"q_proj", "k_proj", "v_proj"}) w.put(l + q + ".weight", r.normal(0, 0.3, e / 4, 4, 4));
            if (v2) {
                w.put(l + "conv.weight", r.normal(0, 0.3, e, 1, 3, 3));
                w.put(l + "conv.bias", r.normal(0, 0.1, e));
            } else {
                w.put(l + "conv1d.conv.weight", r.normal(0, 0.4, e, 1, Vil1Family.CONV_K));
                w.put(l + "conv1d.conv.bias", r.normal(0, 0.1, e));
            }
            w.put(l + "mlstm_cell.igate.weight", r.normal(0, 0.02, ViLBlockWeights.HEADS, 3 * e));
            w.put(l + "mlstm_cell.igate.bias", r.normal(0, 0.1, ViLBlockWeights.HEADS));
            w.put(l + "mlstm_cell.fgate.weight", r.normal(0, 0.02, ViLBlockWeights.HEADS, 3 * e));
            w.put(l + "mlstm_cell.fgate.bias", r.uniform(3, 6, ViLBlockWeights.HEADS));
            w.put(l + "mlstm_cell.outnorm.weight", r.normal(0, 0.1, e));
            w.put(l + "learnable_skip", r.normal(1, 0.1, e));
            w.put(l + "proj_down.weight", r.normal(0, 2 / Math.sqrt(d), d, e));
            if (v2) {
                w.put(p + "norm.bias", r.normal(0, 0.05, d));
                w.put(l + "proj_up.bias", r.normal(0, 0.05, 2 * e));
                for (String q : new String[] {"q_proj", "k_proj", "v_proj"}) w.put(l + q + ".bias", r.normal(0, 0.05, e));
                w.put(l + "mlstm_cell.outnorm.bias", r.normal(0, 0.05, e));
                w.put(l + "proj_down.bias", r.normal(0, 0.05, d));
            }
        }
        if (v2) {
            w.put("norm.weight", r.normal(0, 0.1, d));
            w.put("norm.bias", r.normal(0, 0.05, d));
            w.put("legacy_norm.weight", r.normal(1, 0.1, 2 * d));
            w.put("legacy_norm.bias", r.normal(0, 0.05, 2 * d));
            w.put("head.weight", r.normal(0, 0.05, classes, 2 * d));
        } else {
            w.put("legacy_norm.weight", r.normal(0, 0.1, d));
            w.put("norm.weight", r.normal(1, 0.1, d));
            w.put("norm.bias", r.normal(0, 0.05, d));
            w.put("head.weight", r.normal(0, 0.05, classes, d));
        }
        w.put("head.bias", r.normal(0, 0.05, classes));
        return w;
    }
}
