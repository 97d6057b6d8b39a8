package io.scanline.kernels.model.adventurer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Small random Adventurer models (config + weights under the official key names) for tests and
 * benchmarks at grids no golden case covers.
 *
 * <p>Glossary: D width, E = 2D, N state size, P head dim, H = E/P, C = E + 2N, F = int(2.5·D), M0 table patches.
 */
public final class AdventurerRandom {
    private AdventurerRandom() {}

    public static ObjectNode config(int dim, int depth, int dState, int headdim, int classes, int imgSize) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("family", "adventurer");
        c.put("img_size", imgSize);
        c.put("patch_size", 16);
        c.put("depth", depth);
        c.put("embed_dim", dim);
        c.put("channels", 3);
        c.put("num_classes", classes);
        c.put("rms_norm", true);
        c.put("norm_epsilon", 1e-5);
        c.put("mamba_expand", 2);
        c.put("mamba_d_state", dState);
        c.putObject("ssm_cfg").put("headdim", headdim).put("d_conv", 4);
        return c;
    }

    /** Random weights for {@link #config}, positional table for a square grid of side tableSide. */
    public static Weights weights(JsonNode cfg, int tableSide, long seed) {
        return new Weights("random adventurer", tensors(cfg, tableSide, seed));
    }

    /** The state_dict of {@link #weights}, mutable, for tests that edit keys. */
    public static Map<String, Tensor> tensors(JsonNode cfg, int tableSide, long seed) {
        RandomTensors r = new RandomTensors(seed);
        int d = cfg.path("embed_dim").asInt(), depth = cfg.path("depth").asInt(), n = cfg.path("mamba_d_state").asInt();
        int p = cfg.path("ssm_cfg").path("headdim").asInt(64), classes = cfg.path("num_classes").asInt();
        int e = 2 * d, h = e / p, c = e + 2 * n, f = (int) (2.5 * d);
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("cls_token", r.normal(0, 0.1, 1, 1, d));
        w.put("pos_embed", r.normal(0, 0.1, 1, tableSide * tableSide + 1, d));
        w.put("patch_embed.proj.weight", r.normal(0, 0.02, d, 3, 16, 16));
        w.put("patch_embed.proj.bias", r.normal(0, 0.05, d));
        for (int i = 0; i < depth; i++) {
            String l = "layers." + i + ".", mx = l + "mixer.", mlp = l + "mlp.";
            w.put(l + "norm.weight", r.normal(1, 0.1, d));
            w.put(l + "norm_mlp.weight", r.normal(1, 0.1, d));
            w.put(mx + "in_proj.weight", r.normal(0, 1 / Math.sqrt(d), 2 * e + 2 * n + h, d));
            w.put(mx + "conv1d.weight", r.normal(0, 0.3, c, 1, 4));
            w.put(mx + "conv1d.bias", r.normal(0, 0.1, c));
            w.put(mx + "dt_bias", r.uniform(-4, -1, h));
            w.put(mx + "A_log", r.uniform(0, 2, h));
            w.put(mx + "D", r.normal(1, 0.1, h));
            w.put(mx + "norm.weight", r.normal(1, 0.1, e));
            w.put(mx + "out_proj.weight", r.normal(0, 0.5 / Math.sqrt(e), d, e));
            w.put(mlp + "w1.weight", r.normal(0, 1 / Math.sqrt(d), f, d));
            w.put(mlp + "w1.bias", r.normal(0, 0.05, f));
            w.put(mlp + "w2.weight", r.normal(0, 1 / Math.sqrt(d), f, d));
            w.put(mlp + "w2.bias", r.normal(0, 0.05, f));
            w.put(mlp + "w3.weight", r.normal(0, 0.5 / Math.sqrt(f), d, f));
            w.put(mlp + "w3.bias", r.normal(0, 0.05, d));
        }
        w.put("norm_f.weight", r.normal(1, 0.1, d));
        w.put("head.weight", r.normal(0, 0.05, classes, d));
        w.put("head.bias", r.normal(0, 0.05, classes));
        return w;
    }
}
