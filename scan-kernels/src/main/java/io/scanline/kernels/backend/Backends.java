package io.scanline.kernels.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Backend lookup by configured name. Never falls back silently: an unknown or unavailable name fails. */
public final class Backends {
    private Backends() {}

    /** All providers on the classpath, by name. */
    public static Map<String, BackendProvider> providers() {
        Map<String, BackendProvider> out = new TreeMap<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) out.put(p.name(), p);
        return out;
    }

    public static Backend open(String name) {
        return open(name, Map.of());
    }

    public static Backend open(String name, Map<String, String> options) {
        Map<String, BackendProvider> all = providers();
        BackendProvider p = all.get(name);
        if (p == null) {
            throw new BackendUnavailableException("unknown backend '" + name + "'; available on this classpath: "
                    + String.join(", ", all.keySet()));
        }
        String why = p.unavailableReason();
        if (why != null) throw new BackendUnavailableException("backend '" + name + "' is not available here: " + why);
        return p.create(options);
    }

    /** One line per provider: name and availability (for the CLI's listing). */
    public static List<String> describe() {
        List<String> lines = new ArrayList<>();
        providers().forEach((n, p) -> {
            String why = p.unavailableReason();
            lines.add(n + ": " + (why == null ? "available" : "unavailable (" + why + ")"));
        });
        return lines;
    }

    public static final class BackendUnavailableException extends RuntimeException {
        public BackendUnavailableException(String message) {
            super(message);
        }
    }
}
