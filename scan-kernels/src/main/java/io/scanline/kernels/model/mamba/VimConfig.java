package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Vim configuration (spec models §4.1): only the released "bimambav2 … midclstok div2" combination.
 *
 * <p>Glossary: D embed width, E = expand·D inner width, N state size, R dt rank, K conv width.
 */
record VimConfig(int d, int depth, int patch, int stride, int imgSize, int e, int n, int r, int k, double eps,
                 boolean divideOut, int classes) {

    static VimConfig parse(JsonNode c) {
        String fam = VimFamily.NAME;
        Cfg f = new Cfg(fam, c);
        Cfg ssm = new Cfg(fam + " ssm_cfg", c.path("ssm_cfg").isObject() ? c.path("ssm_cfg") : RandomWeights.JSON.createObjectNode());
        int d = f.positive("embed_dim", 192);
        int patch = f.positive("patch_size", 16);
        f.oneOf("bimamba_type", "v2", "v2");
        f.require("rms_norm", true, true);
        f.require("if_cls_token", true, true);
        f.require("use_middle_cls_token", true, true);
        f.require("use_double_cls_token", false, false);
        f.require("if_abs_pos_embed", true, true);
        f.require("if_rope", false, false);
        f.require("if_rope_residual", false, false);
        f.require("if_bidirectional", false, false);
        f.require("if_bimamba", false, false);
        if (f.number("flip_img_sequences_ratio", -1) > 0) {
            throw f.bad("flip_img_sequences_ratio", c.get("flip_img_sequences_ratio"), "a value <= 0 (training-time flips only)");
        }
        if (f.has("init_layer_scale")) throw f.bad("init_layer_scale", c.get("init_layer_scale"), "null");
        if (f.integer("channels", 3) != 3) throw f.bad("channels", c.get("channels"), "3");
        int expand = ssm.positive("expand", 2);
        int r = ssm.isText("dt_rank") ? autoRank(ssm, d) : ssm.positive("dt_rank", (d + 15) / 16);
        ssm.require("bias", false, false);
        ssm.require("conv_bias", true, true);
        return new VimConfig(d, f.positive("depth", 24), patch, f.positive("stride", patch), f.positive("img_size", 224),
                expand * d, f.positive("d_state", 16), r, ssm.positive("d_conv", 4), f.number("norm_epsilon", 1e-5),
                f.bool("if_divide_out", true), f.positive("num_classes", 1000));
    }

    private static int autoRank(Cfg ssm, int d) {
        ssm.oneOf("dt_rank", "auto", "auto");
        return (d + 15) / 16;
    }
}
