package io.scanline.operators;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.stream.ScanEngine;
import io.scanline.kernels.stream.ScanEngines;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a task needs to build its engine: the model folder and the backend by name
 * ({@code reference}, {@code djl}, {@code cuda}), with backend options. The GPU index is added at
 * open time (see {@link RecurrentScanOperator}).
 */
public record EngineSpec(String modelDir, String backend, Map<String, String> options) implements Serializable {
    public EngineSpec {
        options = Map.copyOf(options);
    }

    public static EngineSpec of(String modelDir, String backend) {
        return new EngineSpec(modelDir, backend, Map.of());
    }

    public EngineSpec withOption(String key, String value) {
        Map<String, String> o = new LinkedHashMap<>(options);
        o.put(key, value);
        return new EngineSpec(modelDir, backend, o);
    }

    public Backend openBackend() {
        return Backends.open(backend, options);
    }

    public ScanEngine openEngine(Backend be) throws IOException {
        return ScanEngines.load(Path.of(modelDir), be);
    }
}
