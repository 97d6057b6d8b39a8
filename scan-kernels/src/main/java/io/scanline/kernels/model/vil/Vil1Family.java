package io.scanline.kernels.model.vil;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.model.ConfigValues;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.TokenLayout;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code vil1}: Vision-LSTM v1 ({@code VisionLSTM}, spec models §3). One block per pass, block i top-left
 * when even and bottom-right when odd; causal conv1d (K = 4) in the block's own order; no projection or
 * block-norm biases. Name swap against v2: {@code legacy_norm} is the residual-weight norm after the
 * blocks (→ output.features), {@code norm} the plain LayerNorm after pooling.
 *
 * <p>Glossary: D = dim, E = 2D, ps patch size, st stride, C classes.
 */
public final class Vil1Family implements ModelFamily {
    static final int CONV_K = 4;

    @Override
    public String name() { return "vil1"; }

    @Override
    public StreamingModel build(JsonNode config, Weights w) {
        ConfigValues cv = new ConfigValues(config, "vil1");
        int d = cv.positive("dim", 192), depth = cv.positive("depth", 24), ps = ViLConfig.patchSize(cv);
        ViLConfig.checkInputShape(cv);
        int stride = cv.present("stride") ? cv.positive("stride", ps) : ps;
        String mode = cv.choice("mode", "classifier", "classifier", null);
        String pooling = cv.choice("pooling", "bilateral_avg", "bilateral_avg", null);
        cv.choice("alternation", "bidirectional", "bidirectional");
        boolean legacy = cv.bool("legacy_norm", false);
        boolean classifier = mode != null;
        if (classifier != (pooling != null)) {
            throw new io.scanline.kernels.model.WeightsException("vil1 config key 'pooling': mode " + mode + " needs pooling "
                    + (classifier ? "'bilateral_avg'" : "null") + ", got " + pooling);
        }

        Tensor patchW = w.get("patch_embed.proj.weight", d, 3, ps, ps), patchB = w.get("patch_embed.proj.bias", d);
        var pos = ViLConfig.positions(w, d);
        List<ViLBlockWeights> blocks = new ArrayList<>();
        List<String> names = new ArrayList<>(), keys = new ArrayList<>();
        boolean[] reverse = new boolean[depth];
        for (int i = 0; i < depth; i++) {
            String prefix = "blocks." + i + ".";
            blocks.add(ViLBlockWeights.load(w, prefix, d, false, false, ViLBlockWeights.ConvKind.CAUSAL_1D,
                    prefix + "layer.conv1d.conv", CONV_K));
            names.add("blocks." + i);
            keys.add("layer." + i + ".output");
            reverse[i] = i % 2 == 1;
        }
        ViLModel.Norm features = legacy ? new ViLModel.Norm(TokenLayout.plusOne(w.get("legacy_norm.weight", d)), null, 1e-5) : null;
        ViLModel.Norm poolNorm = new ViLModel.Norm(w.get("norm.weight", d), w.get("norm.bias", d), 1e-6);
        Tensor headW = null, headB = null;
        if (classifier) {
            int classes = ViLConfig.classes(cv);
            headW = w.get("head.weight", classes, d);
            headB = w.get("head.bias", classes);
        }
        w.requireAllUsed();
        return new ViLModel("vil1", stride, patchW, patchB, pos, blocks, names, keys, reverse, features,
                classifier ? ViLModel.Pooling.BILATERAL_AVG : ViLModel.Pooling.NONE, classifier ? poolNorm : null, headW, headB);
    }
}
