package io.scanline.kernels.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ModelFamilies;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.mamba.DefocusMambaModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the stream engine of a model folder ({@code config.json} + weights) by its family. */
public final class ScanEngines {
    private ScanEngines() {}

    public static ScanEngine load(Path modelDir, Backend backend) throws IOException {
        return load(modelDir, backend, StreamOptions.defaults());
    }

    /** As {@link #load(Path, Backend)}, with the options barrier families run their passes with. */
    public static ScanEngine load(Path modelDir, Backend backend, StreamOptions options) throws IOException {
        Path cfgFile = modelDir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw new IOException(modelDir + ": no config.json (is this a model folder?)");
        JsonNode cfg = new ObjectMapper().readTree(cfgFile.toFile());
        String family = cfg.path("family").asText("");
        if (family.equals(DefocusScanEngine.FAMILY)) {
            return new DefocusScanEngine((DefocusMambaModel) ModelFamilies.get(family).build(cfg, Weights.load(modelDir, cfg)), backend);
        }
        if (!ModelFamilies.all().containsKey(family)) {
            throw new IllegalArgumentException(modelDir + ": unknown model family '" + family + "' (known: " + ModelFamilies.all().keySet() + ")");
        }
        // every other family has a reverse pass or barrier: buffer the image, run its passes at the end
        return new BarrierScanEngine(ModelFamilies.get(family).build(cfg, Weights.load(modelDir, cfg)), cfg, backend, options);
    }
}
