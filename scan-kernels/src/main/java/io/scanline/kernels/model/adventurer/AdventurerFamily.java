package io.scanline.kernels.model.adventurer;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.model.ConfigValues;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.PositionTable;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * {@code adventurer}: Adventurer (Mamba-2 + SwiGLU, class token last, heading average), spec models §5.
 * Only {@code rms_norm = true}, one B/C group and the released {@code ssm_cfg} switches are supported;
 * {@code flip_layers} (D3) defaults to the released code's n // 2 == 1.
 *
 * <p>Glossary: D = embed_dim, E = expand·D, N = d_state, P = headdim, H = E/P, K = d_conv,
 * F = int(2.5·D), ps patch size, C classes.
 */
public final class AdventurerFamily implements ModelFamily {

    /** Derived sizes of one model. */
    record Dims(int d, int e, int n, int p, int h, int k, int f, int patch, double eps) {}

    private static final Set<String> SSM_KEYS = Set.of("d_conv", "headdim", "ngroups", "D_has_hdim", "rmsnorm",
            "norm_before_gate", "dt_limit", "bias", "conv_bias", "chunk_size", "d_state", "expand");

    @Override
    public String name() { return "adventurer"; }

    @Override
    public StreamingModel build(JsonNode config, Weights w) {
        ConfigValues cv = new ConfigValues(config, "adventurer");
        int d = cv.positive("embed_dim", 256), depth = cv.positive("depth", 12), ps = cv.positive("patch_size", 16);
        if (!cv.bool("rms_norm", false)) {
            throw new WeightsException("adventurer config key 'rms_norm': only true is supported (all released models), got "
                    + config.get("rms_norm"));
        }
        if (cv.integer("channels", 3) != 3) throw new WeightsException("adventurer config key 'channels': only 3 (RGB) is supported");
        double eps = cv.number("norm_epsilon", 1e-5);
        int expand = cv.positive("mamba_expand", 2), n = cv.positive("mamba_d_state", 64);
        int classes = cv.positive("num_classes", 1000);
        JsonNode ssm = config.path("ssm_cfg");
        int k = 4, p = 64;
        if (ssm.isObject()) {
            ConfigValues sc = new ConfigValues(ssm, "adventurer ssm_cfg");
            for (Iterator<String> it = ssm.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!SSM_KEYS.contains(key)) throw new WeightsException("adventurer config key 'ssm_cfg." + key + "': unknown");
            }
            k = sc.positive("d_conv", 4);
            p = sc.positive("headdim", 64);
            sc.requireOneOf("ngroups", List.of(1));
            sc.requireOneOf("D_has_hdim", List.of(false));
            sc.requireOneOf("rmsnorm", List.of(true));
            sc.requireOneOf("norm_before_gate", List.of(false));
            sc.requireOneOf("bias", List.of(false));
            sc.requireOneOf("conv_bias", List.of(true));
        } else if (!ssm.isMissingNode() && !ssm.isNull()) {
            throw new WeightsException("adventurer config key 'ssm_cfg': expected an object, got " + ssm);
        }
        int e = expand * d;
        if (e % p != 0) throw new WeightsException("adventurer config: inner width " + e + " is not a multiple of ssm_cfg.headdim " + p);
        Dims dims = new Dims(d, e, n, p, e / p, k, (int) (2.5 * d), ps, eps);

        boolean[] flip = cv.boolList("flip_layers", depth);
        if (flip == null) {
            flip = new boolean[depth];
            for (int i = 0; i < depth; i++) flip[i] = i / 2 == 1;   // D3: the released code's schedule
        }

        Tensor patchW = w.get("patch_embed.proj.weight", d, 3, ps, ps), patchB = w.get("patch_embed.proj.bias", d);
        Tensor cls = w.get("cls_token", 1, 1, d).reshape(d);
        int[] ts = w.shapeOf("pos_embed");
        if (ts.length != 3 || ts[0] != 1 || ts[2] != d || ts[1] < 2) {
            throw new WeightsException("key 'pos_embed' has shape " + java.util.Arrays.toString(ts) + ", expected [1, M0 + 1, " + d + "]");
        }
        PositionTable pos = PositionTable.fromSequence(w.get("pos_embed", ts), ts[1] - 1);   // class entry last
        List<AdventurerLayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < depth; i++) layers.add(AdventurerLayerWeights.load(w, i, dims));
        Tensor normF = w.get("norm_f.weight", d);
        Tensor headW = w.get("head.weight", classes, d), headB = w.get("head.bias", classes);
        w.requireAllUsed();
        return new AdventurerModel(dims, patchW, patchB, cls, pos, layers, flip, normF, headW, headB);
    }
}
