package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;

/** Random weights of one of the Mamba families as an editable map (to break them on purpose). */
final class RandomWeightsAccess {
    private RandomWeightsAccess() {}

    static Map<String, Tensor> random(ModelFamily fam, JsonNode cfg) {
        Map<String, Tensor> m;
        if (fam instanceof DefocusMambaFamily f) m = f.randomTensors(cfg, 2);
        else if (fam instanceof VimFamily f) m = f.randomTensors(cfg, 2);
        else if (fam instanceof ArmFamily f) m = f.randomTensors(cfg, 2);
        else throw new IllegalArgumentException("not a Mamba family: " + fam.name());
        return new HashMap<>(m);
    }
}
