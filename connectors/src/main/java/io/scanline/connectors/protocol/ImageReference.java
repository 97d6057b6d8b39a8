package io.scanline.connectors.protocol;

import io.scanline.connectors.image.Region;

import java.util.Map;

/**
 * Claim check: the image stays in storage the workers can read; the message carries where it is and
 * what to do with it. At most one of {@code level}, {@code targetMpp}, {@code downsample} is set
 * (none = level 0). {@code region} is in pixels of the selected level.
 *
 * @param sha256    lowercase hex SHA-256 of the file, or null to skip the check
 * @param sizeBytes file size, or null to skip the check
 * @param params    model/job parameters (model name, patch size, token order, ...), strings only
 */
public record ImageReference(String imageId, String uri, String sha256, Long sizeBytes,
                             Integer level, Double targetMpp, Double downsample, Region region,
                             Map<String, String> params) implements ImageMessage {
    public ImageReference {
        params = params == null ? Map.of() : Map.copyOf(params);
    }

    public static ImageReference of(String imageId, String uri) {
        return new ImageReference(imageId, uri, null, null, null, null, null, null, Map.of());
    }
}
