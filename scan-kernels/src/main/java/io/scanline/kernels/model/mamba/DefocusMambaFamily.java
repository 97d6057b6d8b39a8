package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.RandomModels;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.Map;

/** {@code defocus_mamba}: De-focus Mamba classification backbone (spec models §6). */
public final class DefocusMambaFamily implements ModelFamily, RandomModels {
    public static final String NAME = "defocus_mamba";

    @Override
    public String name() { return NAME; }

    @Override
    public StreamingModel build(JsonNode config, Weights weights) {
        return new DefocusMambaModel(DefocusConfig.parse(config), weights);
    }

    /**
     * A config with the official key names. Glossary: D width, E inner width, N state size, R dt rank.
     */
    public static ObjectNode config(int d, int e, int n, int r, int depth, int patch, int classes) {
        ObjectNode c = RandomWeights.JSON.createObjectNode();
        c.put("family", NAME).put("embed_dim", d).put("depth", depth).put("patch_size", patch)
                .put("intermediate_size", e).put("state_size", n).put("time_step_rank", r).put("conv_kernel", 4)
                .put("group_norm_size", Math.min(64, e)).put("use_rope", true).put("use_pos_embed", false)
                .put("head_type", "IN1k_cls").put("num_classes", classes).put("layer_norm_epsilon", 1e-5)
                .put("rope_scale_factor", 1.0).put("delta_scale_factor", 1.0).put("token_order", "raster");
        return c;
    }

    @Override
    public JsonNode benchConfig() {
        return config(192, 384, 16, 12, 3, 16, 16);   // the golden cases' dims
    }

    @Override
    public Weights randomWeights(JsonNode config, long seed) {
        return new Weights("random " + NAME, randomTensors(config, seed));
    }

    /** Every key this family reads, at its shape for {@code config}, with random values. */
    Map<String, Tensor> randomTensors(JsonNode config, long seed) {
        DefocusConfig c = DefocusConfig.parse(config);
        RandomWeights w = new RandomWeights(seed);
        int d = c.d(), e = c.e();
        w.patchEmbed(d, c.patch()).put("cls_token", w.normal(0.02, 1, 1, d));
        for (int b = 0; b < c.depth(); b++) {
            String p = "blocks." + b + ".";
            w.put(p + "norm.weight", w.around1(d));
            w.linear(p + "mixer.in_proj.weight", 2 * e, d);
            w.mamba1(p + "mixer.", "", e, c.n(), c.r(), c.k());
            w.put(p + "mixer.freq", w.ropeFreq(c.n()));
            w.linear(p + "mixer.out_proj.weight", d, e);
        }
        w.put("norm.weight", w.around1(d)).put("norm.bias", w.normal(0.02, d));
        for (String h : new String[] {"head", "head2"}) {
            if (c.mlpHeads()) {   // Large: Linear(D, 3D) → tanh → Linear(3D, classes)
                w.linear(h + ".0.weight", 3 * d, d).put(h + ".0.bias", w.normal(0.02, 3 * d));
                w.linear(h + ".2.weight", c.classes(), 3 * d).put(h + ".2.bias", w.normal(0.02, c.classes()));
            } else {
                w.linear(h + ".weight", c.classes(), d).put(h + ".bias", w.normal(0.02, c.classes()));
            }
        }
        return w.map();
    }
}
