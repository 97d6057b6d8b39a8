package io.scanline.connectors.protocol;

/**
 * Closes an inline stream.
 *
 * @param records    number of tile records sent (sequence numbers 0 .. records-1)
 * @param totalBytes file size
 * @param sha256     SHA-256 of the whole file (32 bytes)
 */
public record InlineEnd(String imageId, int records, long totalBytes, byte[] sha256) implements ImageMessage {
}
