package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.model.WeightsException;

import java.util.Arrays;
import java.util.List;

/**
 * Reads a family's config.json: official keys at top level, with optional fallbacks to nested
 * sections (e.g. De-focus {@code args.MODEL.MAMBA}). Wrong types and unsupported values are
 * {@link WeightsException}s naming the key and what is accepted.
 */
final class Cfg {
    private final String family;
    private final JsonNode root;
    private final List<JsonNode> fallbacks;

    Cfg(String family, JsonNode root, JsonNode... fallbacks) {
        this.family = family;
        this.root = root;
        this.fallbacks = Arrays.asList(fallbacks);
    }

    private JsonNode find(String key) {
        JsonNode v = root.get(key);
        if (v != null && !v.isNull()) return v;
        for (JsonNode f : fallbacks) {
            if (f == null) continue;
            JsonNode w = f.get(key);
            if (w != null && !w.isNull()) return w;
        }
        return null;
    }

    boolean isText(String key) {
        JsonNode v = find(key);
        return v != null && v.isTextual();
    }

    boolean has(String key) {
        return find(key) != null;
    }

    int integer(String key, int dflt) {
        JsonNode v = find(key);
        if (v == null) return dflt;
        if (v.isArray() && v.size() > 0) v = v.get(0);   // e.g. output_shape (1000,)
        if (!v.isNumber() || v.asDouble() != Math.rint(v.asDouble())) throw bad(key, v, "an integer");
        return v.asInt();
    }

    int positive(String key, int dflt) {
        int v = integer(key, dflt);
        if (v <= 0) throw bad(key, find(key), "a positive integer");
        return v;
    }

    double number(String key, double dflt) {
        JsonNode v = find(key);
        if (v == null) return dflt;
        if (!v.isNumber()) throw bad(key, v, "a number");
        return v.asDouble();
    }

    boolean bool(String key, boolean dflt) {
        JsonNode v = find(key);
        if (v == null) return dflt;
        if (!v.isBoolean()) throw bad(key, v, "true or false");
        return v.asBoolean();
    }

    String text(String key, String dflt) {
        JsonNode v = find(key);
        if (v == null) return dflt;
        if (!v.isTextual()) throw bad(key, v, "a string");
        return v.asText();
    }

    /** The value must be one of {@code allowed} (the only ones the engine implements). */
    String oneOf(String key, String dflt, String... allowed) {
        String v = text(key, dflt);
        for (String a : allowed) if (a.equals(v)) return v;
        throw bad(key, find(key), "one of " + Arrays.toString(allowed));
    }

    /** A boolean that only one value of is supported. */
    void require(String key, boolean dflt, boolean supported) {
        if (bool(key, dflt) != supported) throw bad(key, find(key), supported + " (the only value this family supports)");
    }

    WeightsException bad(String key, JsonNode v, String expected) {
        return new WeightsException(family + " config: '" + key + "' = " + v + " is not supported; expected " + expected);
    }
}
