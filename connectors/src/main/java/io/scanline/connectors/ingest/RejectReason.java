package io.scanline.connectors.ingest;

/**
 * Why an input was rejected. The code is stable: it becomes the {@code reason} field of a dead-letter
 * record, so add new codes, never rename old ones.
 */
public enum RejectReason {
    /** The file or object does not exist or cannot be opened. */
    NOT_FOUND,
    /** No reader recognises the first bytes (not TIFF/BigTIFF/JPEG/PNG). */
    UNSUPPORTED_FORMAT,
    /** A known container with a feature we do not decode (JPEG 2000 SVS, SubIFD pyramids, odd sample layouts). */
    UNSUPPORTED_FEATURE,
    /** A header or directory structure that violates the format (bad magic, bad tag type, missing tag). */
    MALFORMED,
    /** A directory chain that points back to a directory already visited. */
    IFD_LOOP,
    /** More directories than {@code IngestLimits.maxIfds}. */
    TOO_MANY_IFDS,
    /** An offset or length in a header points outside the file. */
    OFFSET_OUT_OF_FILE,
    /** Pixel data that the header promises but the file does not hold. */
    TRUNCATED,
    /** A width or height above {@code IngestLimits.maxDimension}, or zero. */
    DIMENSION_LIMIT,
    /** A level with more pixels than {@code IngestLimits.maxPixelsPerLevel}. */
    PIXEL_LIMIT,
    /** A tile/strip (compressed or decoded) or one read larger than the configured byte limits. */
    TILE_BYTES_LIMIT,
    /** A header value count (tag count, entry count) above the configured limits. */
    HEADER_LIMIT,
    /** Decoding one tile or band took longer than {@code IngestLimits.decodeTimeout}. */
    DECODE_TIMEOUT,
    /** The decoder failed on pixel data (corrupt entropy-coded data, decoder exception). */
    DECODE_FAILED,
    /** A claim-check URI outside the configured roots, or with an escape ({@code ..}, symlink). */
    URI_NOT_ALLOWED,
    /** A claim-check URI whose scheme has no handler. */
    URI_SCHEME_UNSUPPORTED,
    /** A sha256, size or CRC that does not match the bytes. */
    CHECKSUM_MISMATCH,
    /** A protocol message that does not decode or violates the protocol (unknown version, bad field). */
    PROTOCOL_VIOLATION,
    /** Inline tile records of one image that leave a gap, conflict, or exceed the bounds of the header. */
    SEQUENCE_ERROR,
    /** A requested level, region or resolution that the image does not have. */
    BAD_REQUEST
}
