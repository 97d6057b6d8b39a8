package io.scanline.kernels.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Model families on the classpath, and loading a model folder (config.json + weights). */
public final class ModelFamilies {
    private ModelFamilies() {}

    public static Map<String, ModelFamily> all() {
        Map<String, ModelFamily> out = new TreeMap<>();
        for (ModelFamily f : ServiceLoader.load(ModelFamily.class)) out.put(f.name(), f);
        return out;
    }

    public static ModelFamily get(String name) {
        ModelFamily f = all().get(name);
        if (f == null) throw new WeightsException("unknown model family '" + name + "'; known: " + all().keySet());
        return f;
    }

    /** Loads {@code dir/config.json} and its weights and builds the model. */
    public static StreamingModel load(Path dir) throws IOException {
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        String family = cfg.path("family").asText("");
        return get(family).build(cfg, Weights.load(dir, cfg));
    }
}
