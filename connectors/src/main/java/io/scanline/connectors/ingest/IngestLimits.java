package io.scanline.connectors.ingest;

import java.time.Duration;

/**
 * Every bound ingest applies to an untrusted image. Defaults are safe for a 1 GiB heap and still admit
 * whole-slide images of ~100k x 100k pixels; each limit can be raised per deployment.
 *
 * @param maxDimension       largest width or height of any level, pixels
 * @param maxPixelsPerLevel  largest width x height of any level that will be decoded
 * @param maxTileBytes       largest compressed tile/strip and largest decoded tile/strip, bytes
 * @param maxReadBytes       largest decoded region held at once (one row band of the image), bytes
 * @param maxIfds            most TIFF directories followed in one file
 * @param maxIfdEntries      most entries in one TIFF directory
 * @param maxTagValues       most values in one tag (offset tables of a huge level included)
 * @param decodeTimeout      longest decode of one band/region before the image is rejected
 */
public record IngestLimits(int maxDimension, long maxPixelsPerLevel, long maxTileBytes, long maxReadBytes,
                           int maxIfds, int maxIfdEntries, int maxTagValues, Duration decodeTimeout) {

    public IngestLimits {
        if (maxDimension <= 0 || maxPixelsPerLevel <= 0 || maxTileBytes <= 0 || maxReadBytes <= 0
                || maxIfds <= 0 || maxIfdEntries <= 0 || maxTagValues <= 0
                || decodeTimeout == null || decodeTimeout.isNegative() || decodeTimeout.isZero()) {
            throw new IllegalArgumentException("every ingest limit must be positive: " + this);
        }
    }

    public static IngestLimits defaults() {
        return new IngestLimits(
                1 << 18,                  // 262,144 px per side
                20_000_000_000L,          // 20 gigapixels per level (read by bands, never whole)
                64L << 20,                // 64 MiB per tile/strip
                256L << 20,               // 256 MiB per decoded band
                1024,
                4096,
                8 << 20,                  // 8M values: the offset table of a 100k x 100k level of 64 px tiles
                Duration.ofSeconds(30));
    }

    public IngestLimits withMaxDimension(int v) {
        return new IngestLimits(v, maxPixelsPerLevel, maxTileBytes, maxReadBytes, maxIfds, maxIfdEntries, maxTagValues, decodeTimeout);
    }

    public IngestLimits withMaxPixelsPerLevel(long v) {
        return new IngestLimits(maxDimension, v, maxTileBytes, maxReadBytes, maxIfds, maxIfdEntries, maxTagValues, decodeTimeout);
    }

    public IngestLimits withMaxTileBytes(long v) {
        return new IngestLimits(maxDimension, maxPixelsPerLevel, v, maxReadBytes, maxIfds, maxIfdEntries, maxTagValues, decodeTimeout);
    }

    public IngestLimits withMaxReadBytes(long v) {
        return new IngestLimits(maxDimension, maxPixelsPerLevel, maxTileBytes, v, maxIfds, maxIfdEntries, maxTagValues, decodeTimeout);
    }

    public IngestLimits withMaxIfds(int v) {
        return new IngestLimits(maxDimension, maxPixelsPerLevel, maxTileBytes, maxReadBytes, v, maxIfdEntries, maxTagValues, decodeTimeout);
    }

    public IngestLimits withMaxTagValues(int v) {
        return new IngestLimits(maxDimension, maxPixelsPerLevel, maxTileBytes, maxReadBytes, maxIfds, maxIfdEntries, v, decodeTimeout);
    }

    public IngestLimits withDecodeTimeout(Duration v) {
        return new IngestLimits(maxDimension, maxPixelsPerLevel, maxTileBytes, maxReadBytes, maxIfds, maxIfdEntries, maxTagValues, v);
    }
}
