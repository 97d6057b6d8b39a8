package io.scanline.connectors.image;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Aperio SVS properties from the level-0 ImageDescription, e.g.
 * {@code Aperio Image Library v10.0.51\r\n46920x33014 [..] JPEG/RGB Q=30|AppMag = 20|MPP = 0.4990|...}.
 * Keys are kept as written; {@code MPP} is microns per pixel at level 0.
 */
public record SvsMetadata(String header, Map<String, String> properties) {

    public static boolean isSvs(String description) {
        return description != null && description.startsWith("Aperio");
    }

    public static SvsMetadata parse(String description) {
        String[] parts = description.split("\\|");
        Map<String, String> props = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq > 0) {
                props.putIfAbsent(parts[i].substring(0, eq).trim(), parts[i].substring(eq + 1).trim());
            }
        }
        return new SvsMetadata(parts[0].trim(), Collections.unmodifiableMap(props));
    }

    public OptionalDouble mpp() {
        return number("MPP");
    }

    public OptionalDouble appMag() {
        return number("AppMag");
    }

    private OptionalDouble number(String key) {
        String v = properties.get(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        try {
            double d = Double.parseDouble(v);
            return Double.isFinite(d) && d > 0 ? OptionalDouble.of(d) : OptionalDouble.empty();
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }
}
