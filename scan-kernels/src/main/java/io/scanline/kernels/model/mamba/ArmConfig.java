package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * ARM fine-tuned classifier configuration (spec models §7.1): bimamba v3 only; expand 1, N 16,
 * K 4 and R = ⌈D/16⌉ are fixed by the code. Factory arguments the code ignores are not read.
 *
 * <p>Glossary: D width (= E, the inner width), N state size, R dt rank, K conv width, F SwiGLU width.
 */
record ArmConfig(int d, int depth, int patch, int stride, int imgSize, boolean globalPool, int classes) {
    static final int N = 16, K = 4;
    static final double LN_EPS = 1e-5;

    static ArmConfig parse(JsonNode c) {
        Cfg f = new Cfg(ArmFamily.NAME, c);
        f.oneOf("bimamba_type", "none", "v3");
        f.require("if_cls_token", false, true);
        f.require("if_abs_pos_embed", false, true);
        if (f.integer("channels", 3) != 3) throw f.bad("channels", c.get("channels"), "3");
        int patch = f.positive("patch_size", 16);
        return new ArmConfig(f.positive("embed_dim", 192), f.positive("depth", 24), patch, f.positive("stride", patch),
                f.positive("img_size", 224), f.bool("global_pool", false), f.positive("num_classes", 1000));
    }

    int r() { return (d + 15) / 16; }

    int mlpWidth() { return d * 4 * 2 / 3; }
}
