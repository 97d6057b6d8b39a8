package io.scanline.kernels.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.List;

/**
 * Reads a family's config.json with defaults; every malformed or unknown value is a
 * {@link WeightsException} that names the key, the value found and what is accepted.
 */
public final class ConfigValues {
    private final JsonNode cfg;
    private final String family;

    public ConfigValues(JsonNode cfg, String family) {
        this.cfg = cfg;
        this.family = family;
    }

    public JsonNode node() { return cfg; }

    public boolean present(String key) {
        return cfg.has(key) && !cfg.get(key).isNull();
    }

    public int integer(String key, int dflt) {
        if (!present(key)) return dflt;
        JsonNode v = cfg.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw bad(key, v, "an integer");
        return v.intValue();
    }

    public int positive(String key, int dflt) {
        int v = integer(key, dflt);
        if (v <= 0) throw bad(key, cfg.get(key), "a positive integer");
        return v;
    }

    public double number(String key, double dflt) {
        if (!present(key)) return dflt;
        JsonNode v = cfg.get(key);
        if (!v.isNumber()) throw bad(key, v, "a number");
        return v.doubleValue();
    }

    public boolean bool(String key, boolean dflt) {
        if (!present(key)) return dflt;
        JsonNode v = cfg.get(key);
        if (!v.isBoolean()) throw bad(key, v, "true or false");
        return v.booleanValue();
    }

    /** A string from {@code allowed} (null in the list allows JSON null / absence meaning null). */
    public String choice(String key, String dflt, String... allowed) {
        JsonNode v = cfg.get(key);
        String s;
        if (v == null) s = dflt;
        else if (v.isNull()) s = null;
        else if (v.isTextual()) s = v.asText();
        else throw bad(key, v, "one of " + Arrays.toString(allowed));
        for (String a : allowed) if (a == null ? s == null : a.equals(s)) return s;
        throw new WeightsException(family + " config key '" + key + "': unsupported value " + (s == null ? "null" : "'" + s + "'")
                + "; supported: " + Arrays.toString(allowed));
    }

    /** An integer list such as input_shape / output_shape, or null when absent or null. */
    public int[] intList(String key) {
        if (!present(key)) return null;
        JsonNode v = cfg.get(key);
        if (!v.isArray()) throw bad(key, v, "a list of integers");
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isIntegralNumber()) throw bad(key, v, "a list of integers");
            out[i] = v.get(i).intValue();
        }
        return out;
    }

    /** A boolean list of exactly n entries, or null when absent. */
    public boolean[] boolList(String key, int n) {
        if (!present(key)) return null;
        JsonNode v = cfg.get(key);
        if (!v.isArray() || v.size() != n) throw bad(key, v, "a list of " + n + " booleans");
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (!v.get(i).isBoolean()) throw bad(key, v, "a list of " + n + " booleans");
            out[i] = v.get(i).booleanValue();
        }
        return out;
    }

    /** Fails unless the key is absent, null, or equal to one of the supported values. */
    public void requireOneOf(String key, List<Object> supported) {
        if (!present(key)) return;
        JsonNode v = cfg.get(key);
        Object val = v.isBoolean() ? (Object) v.booleanValue() : v.isIntegralNumber() ? (Object) v.intValue()
                : v.isNumber() ? (Object) v.doubleValue() : v.asText();
        for (Object s : supported) if (s.equals(val)) return;
        throw new WeightsException(family + " config key '" + key + "': unsupported value " + v + "; supported: " + supported);
    }

    private WeightsException bad(String key, JsonNode v, String expected) {
        return new WeightsException(family + " config key '" + key + "': expected " + expected + ", got " + v);
    }
}
