package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.RandomModels;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.Map;

/** {@code arm}: ARM fine-tuned classifier, four Mamba-1 scans per layer (spec models §7). */
public final class ArmFamily implements ModelFamily, RandomModels {
    public static final String NAME = "arm";

    @Override
    public String name() { return NAME; }

    @Override
    public StreamingModel build(JsonNode config, Weights weights) {
        return new ArmModel(ArmConfig.parse(config), weights);
    }

    /** A config with the official key names; training grid img_size / patch. Glossary: D width. */
    public static ObjectNode config(int d, int depth, int imgSize, int patch, int classes) {
        ObjectNode c = RandomWeights.JSON.createObjectNode();
        c.put("family", NAME).put("embed_dim", d).put("depth", depth).put("img_size", imgSize).put("patch_size", patch)
                .put("stride", patch).put("num_classes", classes).put("bimamba_type", "v3").put("if_cls_token", true)
                .put("if_abs_pos_embed", true).put("global_pool", true);
        return c;
    }

    @Override
    public JsonNode benchConfig() {
        return config(192, 2, 224, 16, 16);   // the golden case's dims
    }

    @Override
    public Weights randomWeights(JsonNode config, long seed) {
        return new Weights("random " + NAME, randomTensors(config, seed));
    }

    /** Every key this family reads, at its shape for {@code config}, with random values. */
    Map<String, Tensor> randomTensors(JsonNode config, long seed) {
        ArmConfig c = ArmConfig.parse(config);
        RandomWeights w = new RandomWeights(seed);
        int d = c.d(), f = c.mlpWidth(), g = MiddleClsEmbedding.grid(c.imgSize(), c.patch(), c.stride());
        w.patchEmbed(d, c.patch()).put("cls_token", w.normal(0.02, 1, 1, d)).put("pos_embed", w.normal(0.02, 1, g * g + 1, d));
        for (int l = 0; l < c.depth(); l++) {
            String p = "layers." + l + ".";
            w.put(p + "norm1.weight", w.around1(d)).put(p + "norm1.bias", w.normal(0.02, d));
            w.put(p + "norm2.weight", w.around1(d)).put(p + "norm2.bias", w.normal(0.02, d));
            w.linear(p + "mixer.in_proj.weight", 2 * d, d);
            for (String sfx : new String[] {"", "_b", "_c", "_c_b"}) w.mamba1(p + "mixer.", sfx, d, ArmConfig.N, c.r(), ArmConfig.K);
            w.linear(p + "mixer.out_proj.weight", d, d);
            w.linear(p + "mlp.w1.weight", f, d).put(p + "mlp.w1.bias", w.normal(0.02, f));
            w.linear(p + "mlp.w2.weight", f, d).put(p + "mlp.w2.bias", w.normal(0.02, f));
            w.linear(p + "mlp.w3.weight", d, f).put(p + "mlp.w3.bias", w.normal(0.02, d));
        }
        w.put("norm_f.weight", w.around1(d)).put("norm_f.bias", w.normal(0.02, d));
        w.linear("head.weight", c.classes(), d).put("head.bias", w.normal(0.02, c.classes()));
        return w.map();
    }
}
