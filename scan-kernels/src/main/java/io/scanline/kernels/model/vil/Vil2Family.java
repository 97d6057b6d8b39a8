package io.scanline.kernels.model.vil;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.model.ConfigValues;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.TokenLayout;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code vil2}: Vision-LSTM v2 ({@code VisionLSTM2}, spec models §2). depth counts block pairs; every
 * pair is a top-left then a bottom-right sub-block, each its own pass.
 *
 * <p>Glossary: D = dim, E = 2D, ps patch size, C classes.
 */
public final class Vil2Family implements ModelFamily {
    static final String[] DIRS = {"rowwise_from_top_left", "rowwise_from_bot_right"};

    @Override
    public String name() { return "vil2"; }

    @Override
    public StreamingModel build(JsonNode config, Weights w) {
        ConfigValues cv = new ConfigValues(config, "vil2");
        int d = cv.positive("dim", 192), depth = cv.positive("depth", 12), ps = ViLConfig.patchSize(cv);
        ViLConfig.checkInputShape(cv);
        if (cv.present("stride")) {
            throw new WeightsException("vil2 config key 'stride': must be null for vil2 (the grid conv reshapes with the construction grid), got "
                    + config.get("stride"));
        }
        if (d % 2 != 0) throw new WeightsException("vil2 config key 'dim': must be even (E = 2D splits into 4 heads), got " + d);
        String mode = cv.choice("mode", "classifier", "classifier", "features");
        String pooling = cv.choice("pooling", "bilateral_flatten", "bilateral_flatten", "bilateral_avg", null, "to_image");
        boolean legacy = cv.bool("legacy_norm", false);
        String convKind = cv.choice("conv_kind", "2d", "2d", "causal1d");
        cv.integer("conv_kernel_size", 3);   // validated as a number; not forwarded by VisionLSTM2 (always 3)
        boolean projBias = cv.bool("proj_bias", true), normBias = cv.bool("norm_bias", true);
        boolean classifier = mode.equals("classifier");
        if (classifier && (pooling == null || pooling.equals("to_image"))) {
            throw new WeightsException("vil2 config key 'pooling': " + pooling + " with mode 'classifier' (a head on every token) is not supported; use bilateral_flatten or bilateral_avg");
        }
        if (!classifier && pooling != null && !pooling.equals("to_image")) {
            throw new WeightsException("vil2 config key 'pooling': mode 'features' needs pooling null or 'to_image' (as the official model), got '" + pooling + "'");
        }

        Tensor patchW = w.get("patch_embed.proj.weight", d, 3, ps, ps), patchB = w.get("patch_embed.proj.bias", d);
        var pos = ViLConfig.positions(w, d);
        List<ViLBlockWeights> blocks = new ArrayList<>();
        List<String> names = new ArrayList<>(), keys = new ArrayList<>();
        boolean[] reverse = new boolean[2 * depth];
        ViLBlockWeights.ConvKind kind = convKind.equals("2d") ? ViLBlockWeights.ConvKind.GRID_3X3 : ViLBlockWeights.ConvKind.CAUSAL_1D;
        for (int i = 0; i < depth; i++) {
            for (int j = 0; j < 2; j++) {
                String prefix = "blocks." + i + "." + DIRS[j] + ".";
                String convKey = prefix + (kind == ViLBlockWeights.ConvKind.GRID_3X3 ? "layer.conv" : "layer.conv.conv");
                blocks.add(ViLBlockWeights.load(w, prefix, d, projBias, normBias, kind, convKey, 3));
                names.add(prefix.substring(0, prefix.length() - 1));
                keys.add(j == 0 ? "layer." + i + "." + DIRS[0] + ".output" : "layer." + i + ".output");
                reverse[2 * i + j] = j == 1;
            }
        }
        ViLModel.Norm features = new ViLModel.Norm(TokenLayout.plusOne(w.get("norm.weight", d)),
                normBias ? w.get("norm.bias", d) : null, 1e-6);
        int headDim = "bilateral_flatten".equals(pooling) ? 2 * d : d;
        ViLModel.Norm poolNorm = null;
        if (legacy) {
            // nn.LayerNorm(head_dim), eps 1e-5: a plain γ (spec models §2.5); unused in features mode
            poolNorm = new ViLModel.Norm(w.get("legacy_norm.weight", headDim), w.get("legacy_norm.bias", headDim), 1e-5);
        }
        Tensor headW = null, headB = null;
        ViLModel.Pooling pool = ViLModel.Pooling.NONE;
        if (classifier) {
            int classes = ViLConfig.classes(cv);
            headW = w.get("head.weight", classes, headDim);
            headB = w.get("head.bias", classes);
            pool = pooling.equals("bilateral_flatten") ? ViLModel.Pooling.BILATERAL_FLATTEN : ViLModel.Pooling.BILATERAL_AVG;
        }
        w.requireAllUsed();
        return new ViLModel("vil2", ps, patchW, patchB, pos, blocks, names, keys, reverse, features, pool,
                classifier ? poolNorm : null, headW, headB);
    }
}
