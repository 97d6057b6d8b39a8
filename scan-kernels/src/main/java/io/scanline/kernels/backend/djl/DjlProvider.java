package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BackendProvider;

import java.util.Map;

/**
 * Service entry of the {@code djl} backend (DJL PyTorch engine on the CPU).
 *
 * <p>This class must load on a classpath without DJL, so it names no DJL type: the probe lives in
 * {@link DjlRuntime}, which is touched only after the DJL classes were found.
 */
public final class DjlProvider implements BackendProvider {
    public static final String NAME = "djl";

    @Override
    public String name() { return NAME; }

    @Override
    public String unavailableReason() {
        String missing = DjlRuntime.missingClasses();
        if (missing != null) return missing;
        return DjlRuntime.engineProblem();
    }

    /**
     * Options: {@code threads=N} sets libtorch's intra-op threads, process-wide (default 1: a Flink
     * TaskManager runs one task per slot, and OpenMP workers spinning on a shared or oversubscribed
     * machine made small ops up to 50x slower in measurements here).
     */
    @Override
    public Backend create(Map<String, String> options) {
        String why = unavailableReason();
        if (why != null) throw new IllegalStateException("djl backend unavailable: " + why);
        for (String key : options.keySet()) {
            if (!key.equals("threads")) throw new IllegalArgumentException("unknown djl option '" + key + "' (known: threads)");
        }
        String threads = options.get("threads");
        int n;
        try {
            n = threads == null ? 1 : Integer.parseInt(threads.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("djl option threads must be an integer, got '" + threads + "'");
        }
        if (n < 1) throw new IllegalArgumentException("djl option threads must be >= 1, got " + n);
        return new DjlBackend(n);
    }
}
