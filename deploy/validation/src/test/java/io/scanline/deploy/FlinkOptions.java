package io.scanline.deploy;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MetricOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * Every {@link ConfigOption} declared in the Flink jars on the test classpath (classes named
 * {@code *Options}), so that a configuration key we set can be checked against Flink's own list:
 * unknown keys (typos, keys of another Flink version) and deprecated keys are reported, and values
 * are parsed with the option's type (durations, sizes, enums, booleans).
 *
 * <p>Keys with a name in them are declared by Flink as templates, e.g.
 * {@code external-resource.<resource_name>.amount}; a placeholder matches one name segment, or
 * any dotted rest when it ends the key ({@code external-resource.<resource_name>.param.<param>}).
 */
final class FlinkOptions {
    /**
     * Operator keys are read by the Flink Kubernetes Operator, not by Flink, and its options class
     * is not on Maven Central in a version this build can load; these are the ones we use, as named
     * in the operator's configuration reference.
     */
    static final Set<String> OPERATOR_KEYS = Set.of(
            "kubernetes.operator.periodic.savepoint.interval",
            "kubernetes.operator.savepoint.history.max.count",
            "kubernetes.operator.job.upgrade.last-state-fallback.enabled");

    /** The GPU driver ships in the Flink distribution's plugins/ folder, not on Maven Central for 2.2. */
    static final String GPU_DRIVER_FACTORY = "org.apache.flink.externalresource.gpu.GPUDriverFactory";

    private final Map<String, ConfigOption<?>> byKey = new HashMap<>();
    private final Map<String, String> deprecatedKeys = new HashMap<>();
    private final List<Map.Entry<Pattern, ConfigOption<?>>> templates = new ArrayList<>();
    private final Set<String> reporterSuffixes = new HashSet<>();
    private final List<String> unloadable = new ArrayList<>();
    private final Set<String> classesScanned = new HashSet<>();

    private FlinkOptions() {}

    static FlinkOptions load() {
        FlinkOptions o = new FlinkOptions();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String file = entry.substring(entry.lastIndexOf('/') + 1);
            if (file.startsWith("flink-") && file.endsWith(".jar")) o.scanJar(entry);
        }
        o.reporterSuffixes.add("port"); // PrometheusReporterFactory's ARG_PORT, a plain string constant
        return o;
    }

    private void scanJar(String jar) {
        try (JarFile j = new JarFile(jar)) {
            for (JarEntry e : Collections.list(j.entries())) {
                String n = e.getName();
                if (!n.endsWith("Options.class") || n.contains("$")) continue;
                String cn = n.substring(0, n.length() - ".class".length()).replace('/', '.');
                try {
                    scanClass(Class.forName(cn, false, getClass().getClassLoader()));
                } catch (LinkageError | ClassNotFoundException ex) {
                    unloadable.add(cn + ": " + ex);
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(jar, ex);
        }
    }

    private void scanClass(Class<?> c) {
        classesScanned.add(c.getName());
        for (Field f : c.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != ConfigOption.class) continue;
            ConfigOption<?> opt;
            try {
                opt = (ConfigOption<?>) f.get(null);
            } catch (IllegalAccessException | LinkageError | RuntimeException ex) {
                unloadable.add(c.getName() + "." + f.getName() + ": " + ex);
                continue;
            }
            boolean deprecatedField = f.isAnnotationPresent(Deprecated.class);
            if (c == MetricOptions.class && f.getName().startsWith("REPORTER_")) reporterSuffixes.add(opt.key());
            for (FallbackKey fk : opt.fallbackKeys()) {
                if (fk.isDeprecated()) deprecatedKeys.put(fk.getKey(), opt.key());
            }
            if (deprecatedField) {
                deprecatedKeys.putIfAbsent(opt.key(), "(deprecated option " + c.getSimpleName() + "." + f.getName() + ")");
                continue;
            }
            if (opt.key().startsWith("<")) {
                continue; // suffix options of reporters/events ("<parameter>"), handled by reporterSuffixes
            }
            if (opt.key().contains("<")) {
                // A trailing placeholder (param.<param>) holds the driver's own, dotted keys.
                String regex = Pattern.quote(opt.key())
                        .replaceAll("<[^>]+>\\\\E$", "\\\\E.+")
                        .replaceAll("<[^>]+>", "\\\\E[^.]+\\\\Q");
                templates.add(Map.entry(Pattern.compile(regex), opt));
            } else {
                byKey.putIfAbsent(opt.key(), opt);
            }
        }
    }

    Set<String> classesScanned() {
        return classesScanned;
    }

    List<String> unloadable() {
        return unloadable;
    }

    /** Problems of one key/value pair; empty when Flink (or the operator) knows the key and can parse the value. */
    List<String> check(String key, String value) {
        if (deprecatedKeys.containsKey(key) && !byKey.containsKey(key)) {
            return List.of(key + ": deprecated, use " + deprecatedKeys.get(key));
        }
        if (OPERATOR_KEYS.contains(key)) return List.of();
        ConfigOption<?> opt = byKey.get(key);
        if (opt == null) {
            for (var t : templates) if (t.getKey().matcher(key).matches()) opt = t.getValue();
        }
        if (opt == null && key.startsWith("metrics.reporter.")) {
            String[] parts = key.split("\\.", 4);
            if (parts.length == 4 && reporterSuffixes.contains(parts[3])) return List.of();
        }
        if (opt == null) return List.of(key + ": not a Flink 2.2 configuration key");
        if (opt.key().contains("<")) return List.of(); // template values are free-form strings
        try {
            Configuration conf = new Configuration();
            conf.setString(key, value);
            conf.get(opt);
        } catch (RuntimeException e) {
            return List.of(key + ": value '" + value + "' does not parse: " + e.getMessage());
        }
        return List.of();
    }

    List<String> checkAll(Map<String, String> config) {
        List<String> out = new ArrayList<>();
        config.forEach((k, v) -> out.addAll(check(k, v)));
        return out;
    }
}
