package io.scanline.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict mapping of a YAML resource onto a typed model (fabric8 Kubernetes model, Strimzi API).
 * Those models keep unknown fields in an {@code additionalProperties} map instead of failing, so
 * after Jackson has mapped the resource (which fails on wrong types) we walk the object graph and
 * report every non-empty {@code additionalProperties}: a field the real schema does not have.
 */
final class StrictModel {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

    private StrictModel() {}

    /** Problems found mapping {@code node} onto {@code type}; empty when it maps cleanly. */
    static List<String> problems(JsonNode node, Class<?> type) {
        Object value;
        try {
            value = MAPPER.treeToValue(node, type);
        } catch (Exception e) {
            return List.of("does not map onto " + type.getSimpleName() + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        List<String> out = new ArrayList<>();
        walk(value, "$", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void walk(Object o, String path, List<String> out, Set<Object> seen) {
        if (o == null || !seen.add(o)) return;
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object x : c) walk(x, path + "[" + i++ + "]", out, seen);
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) walk(e.getValue(), path + "." + e.getKey(), out, seen);
            return;
        }
        String pkg = o.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.") && !pkg.startsWith("io.strimzi.")) return;
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())) continue;
            String name = m.getName();
            if (!name.startsWith("get") || name.equals("getClass")) continue;
            Object v;
            try {
                v = m.invoke(o);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue; // derived getters (e.g. CustomResource#getPlural) may throw; they hold no input
            }
            if (name.equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) out.add(path + ": unknown field(s) " + extra.keySet());
                continue;
            }
            walk(v, path + "." + Character.toLowerCase(name.charAt(3)) + name.substring(4), out, seen);
        }
    }
}
