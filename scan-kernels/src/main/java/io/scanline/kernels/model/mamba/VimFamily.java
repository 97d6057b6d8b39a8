package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.RandomModels;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.Map;

/** {@code vim}: Vision Mamba, bimamba v2 with the middle class token (spec models §4). */
public final class VimFamily implements ModelFamily, RandomModels {
    public static final String NAME = "vim";

    @Override
    public String name() { return NAME; }

    @Override
    public StreamingModel build(JsonNode config, Weights weights) {
        return new VimModel(VimConfig.parse(config), weights);
    }

    /** A config with the official key names; training grid img_size / patch. Glossary: D width, N state size. */
    public static ObjectNode config(int d, int n, int depth, int imgSize, int patch, int classes) {
        ObjectNode c = RandomWeights.JSON.createObjectNode();
        c.put("family", NAME).put("embed_dim", d).put("depth", depth).put("d_state", n).put("img_size", imgSize)
                .put("patch_size", patch).put("stride", patch).put("num_classes", classes).put("bimamba_type", "v2")
                .put("rms_norm", true).put("if_cls_token", true).put("use_middle_cls_token", true)
                .put("if_abs_pos_embed", true).put("if_divide_out", true).put("norm_epsilon", 1e-5);
        return c;
    }

    @Override
    public JsonNode benchConfig() {
        return config(192, 16, 2, 224, 16, 16);   // Vim-tiny width, the golden cases' depth
    }

    @Override
    public Weights randomWeights(JsonNode config, long seed) {
        return new Weights("random " + NAME, randomTensors(config, seed));
    }

    /** Every key this family reads, at its shape for {@code config}, with random values. */
    Map<String, Tensor> randomTensors(JsonNode config, long seed) {
        VimConfig c = VimConfig.parse(config);
        RandomWeights w = new RandomWeights(seed);
        int d = c.d(), e = c.e(), g = MiddleClsEmbedding.grid(c.imgSize(), c.patch(), c.stride());
        w.patchEmbed(d, c.patch()).put("cls_token", w.normal(0.02, 1, 1, d)).put("pos_embed", w.normal(0.02, 1, g * g + 1, d));
        for (int l = 0; l < c.depth(); l++) {
            String p = "layers." + l + ".";
            w.put(p + "norm.weight", w.around1(d));
            w.linear(p + "mixer.in_proj.weight", 2 * e, d);
            w.mamba1(p + "mixer.", "", e, c.n(), c.r(), c.k());
            w.mamba1(p + "mixer.", "_b", e, c.n(), c.r(), c.k());
            w.linear(p + "mixer.out_proj.weight", d, e);
        }
        w.put("norm_f.weight", w.around1(d));
        w.linear("head.weight", c.classes(), d).put("head.bias", w.normal(0.02, c.classes()));
        return w.map();
    }
}
