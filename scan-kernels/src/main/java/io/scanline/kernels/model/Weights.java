package io.scanline.kernels.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.io.Safetensors;
import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model's state_dict under the official key names (F32). Lookups check the expected shape and record
 * which keys were used, so that {@link #requireAllUsed} can reject unexpected keys.
 */
public final class Weights {
    private final String source;
    private final Map<String, Tensor> tensors;
    private final Set<String> used = new HashSet<>();

    public Weights(String source, Map<String, Tensor> tensors) {
        this.source = source;
        this.tensors = tensors;
    }

    /**
     * Loads the weights of a model folder: the files listed in {@code config.weights} (paths relative
     * to the folder; later files override earlier ones), else {@code weights.safetensors}.
     */
    public static Weights load(Path dir, JsonNode config) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        JsonNode list = config.path("weights");
        if (list.isArray() && list.size() > 0) {
            for (JsonNode f : list) all.putAll(Safetensors.readAll(dir.resolve(f.asText()).normalize()));
        } else {
            Path f = dir.resolve("weights.safetensors");
            if (!Files.isRegularFile(f)) throw new WeightsException(dir + ": no weights.safetensors and no 'weights' list in config.json");
            all.putAll(Safetensors.readAll(f));
        }
        for (Map.Entry<String, Tensor> e : all.entrySet()) e.setValue(e.getValue().toF32());
        return new Weights(dir.toString(), all);
    }

    /** The tensor under key, which must have exactly this shape. */
    public Tensor get(String key, int... shape) {
        Tensor t = tensors.get(key);
        if (t == null) {
            throw new WeightsException(source + ": missing key '" + key + "' (expected shape " + Arrays.toString(shape) + ")");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new WeightsException(source + ": key '" + key + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        used.add(key);
        return t;
    }

    /** The tensor under key if present (shape checked), else null. */
    public Tensor optional(String key, int... shape) {
        return tensors.containsKey(key) ? get(key, shape) : null;
    }

    public boolean has(String key) {
        return tensors.containsKey(key);
    }

    /** The shape stored under key (for dimensions the config does not give), or an error naming the key. */
    public int[] shapeOf(String key) {
        Tensor t = tensors.get(key);
        if (t == null) throw new WeightsException(source + ": missing key '" + key + "'");
        return t.shape();
    }

    /** Marks keys the official code creates but inference does not read (they are accepted, spec models §1.4). */
    public void accept(String key) {
        if (tensors.containsKey(key)) used.add(key);
    }

    /** Fails when some stored key was never asked for: a wrong or foreign checkpoint. */
    public void requireAllUsed() {
        Set<String> extra = new TreeSet<>(tensors.keySet());
        extra.removeAll(used);
        if (!extra.isEmpty()) {
            throw new WeightsException(source + ": unexpected keys " + (extra.size() > 8
                    ? new java.util.ArrayList<>(extra).subList(0, 8) + " ... (" + extra.size() + " in all)" : extra));
        }
    }

    public long totalBytes() {
        long b = 0;
        for (Tensor t : tensors.values()) b += t.bytes();
        return b;
    }
}
