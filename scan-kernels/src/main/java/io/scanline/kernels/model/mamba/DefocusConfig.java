package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.model.WeightsException;

/**
 * De-focus Mamba configuration (spec models §6.1, D5). Official keys are read at top level, falling
 * back to the yacs sections {@code args.MODEL.MAMBA} and {@code args.MODEL}.
 *
 * <p>Glossary: D embed width, E inner width, N state size, R dt rank, K conv width.
 */
record DefocusConfig(int d, int depth, int patch, int e, int n, int r, int k, int groupSize, double eps,
                     double rho, double deltaScale, int classes, boolean mlpHeads, String tokenOrder, int tileSize) {

    static final double FINAL_NORM_EPS = 1e-6;

    static DefocusConfig parse(JsonNode c) {
        JsonNode model = c.path("args").path("MODEL");
        Cfg f = new Cfg(DefocusMambaFamily.NAME, c, model.path("MAMBA"), model);
        int d = f.positive("embed_dim", 768);
        if (f.has("hidden_size") && f.integer("hidden_size", d) != d) {
            throw f.bad("hidden_size", c.get("hidden_size"), "equal to embed_dim " + d);
        }
        int depth = f.positive("depth", 24);
        int patch = f.positive("patch_size", 16);
        int e = f.positive("intermediate_size", 1536);
        int n = f.positive("state_size", 16);
        int k = f.positive("conv_kernel", 4);
        // "auto" is the Hugging Face Mamba convention ⌈D/16⌉
        int r = f.isText("time_step_rank") ? autoRank(f, d) : f.positive("time_step_rank", 48);
        int groupSize = f.integer("group_norm_size", 0);
        if (groupSize <= 0 || e % groupSize != 0) {
            throw f.bad("group_norm_size", c.get("group_norm_size"),
                    "a positive divisor of intermediate_size " + e + " (the scan output is always group-normalized)");
        }
        f.oneOf("TYPE", "mamba", "mamba");
        f.require("use_rope", false, true);
        f.require("use_pos_embed", false, false);
        f.require("use_conv_bias", true, true);
        f.require("use_bias", false, false);
        f.require("use_out_norm", false, false);
        f.require("patch_embed_change_res", false, false);
        f.oneOf("hidden_act", "silu", "silu");
        String head = f.oneOf("head_type", "IN1k_cls", "IN1k_cls", "IN22kto1k_cls");
        double rho = f.number("rope_scale_factor", 1.0), ds = f.number("delta_scale_factor", 1.0);
        if (!(rho > 0) || !(ds > 0)) throw new WeightsException("defocus_mamba config: rope_scale_factor and delta_scale_factor must be > 0, got " + rho + ", " + ds);
        String order = f.oneOf("token_order", "raster", "raster", "tile");
        int tile = f.positive("tile_size", 224);
        if (order.equals("tile") && tile % patch != 0) {
            throw f.bad("tile_size", c.get("tile_size"), "a multiple of patch_size " + patch);
        }
        return new DefocusConfig(d, depth, patch, e, n, r, k, groupSize, f.number("layer_norm_epsilon", 1e-5),
                rho, ds, f.positive("num_classes", 1000), head.equals("IN22kto1k_cls"), order, tile);
    }

    private static int autoRank(Cfg f, int d) {
        f.oneOf("time_step_rank", "auto", "auto");
        return (d + 15) / 16;
    }

    long stateFloatsPerImage() {
        return (long) depth * ((long) (k - 1) * e + (long) e * n);
    }
}
