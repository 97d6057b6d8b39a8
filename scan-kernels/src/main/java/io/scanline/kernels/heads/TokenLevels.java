package io.scanline.kernels.heads;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rows of one chunk of patch tokens at several feature levels (final features, residual stream after
 * chosen blocks), all (n, D) row-major. Keys follow the golden names: {@code output.features},
 * {@code layer.<i>.output}.
 */
public final class TokenLevels {
    public static final String FEATURES = "output.features";

    private final Map<String, float[]> rows = new LinkedHashMap<>();
    private final int n, d;

    public TokenLevels(int n, int d) {
        this.n = n;
        this.d = d;
    }

    public static TokenLevels features(float[] rows, int n, int d) {
        return new TokenLevels(n, d).put(FEATURES, rows);
    }

    public TokenLevels put(String key, float[] r) {
        if (r.length != n * d) {
            throw new IllegalArgumentException(key + ": " + r.length + " values, expected " + n + "x" + d);
        }
        rows.put(key, r);
        return this;
    }

    public float[] get(String key) {
        float[] r = rows.get(key);
        if (r == null) throw new IllegalArgumentException("feature level '" + key + "' was not provided; have " + rows.keySet());
        return r;
    }

    public int tokens() { return n; }

    public int width() { return d; }
}
