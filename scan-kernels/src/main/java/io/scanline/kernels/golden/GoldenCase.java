package io.scanline.kernels.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.io.Safetensors;
import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A golden case folder: {@code config.json}, {@code io.safetensors} and, for models, weights files. */
public record GoldenCase(Path dir, JsonNode config, Map<String, Tensor> io) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static GoldenCase load(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json"), io = dir.resolve("io.safetensors");
        if (!Files.isRegularFile(cfg)) throw new IOException(dir + ": no config.json (is this a golden case folder?)");
        if (!Files.isRegularFile(io)) throw new IOException(dir + ": no io.safetensors");
        return new GoldenCase(dir, JSON.readTree(cfg.toFile()), Safetensors.readAll(io));
    }

    public String family() {
        return config.path("family").asText("");
    }

    public String name() {
        return dir.getFileName().toString();
    }

    public Tensor tensor(String key) {
        Tensor t = io.get(key);
        if (t == null) throw new IllegalArgumentException(name() + ": io.safetensors has no '" + key + "'");
        return t;
    }

    public Tensor optional(String key) {
        return io.get(key);
    }
}
