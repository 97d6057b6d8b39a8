package io.scanline.connectors.protocol;

/**
 * One slice of the file: bytes [offset, offset + payload.length). Sequence numbers start at 0 and
 * are consecutive; the record's CRC-32C (checked by the codec) covers the payload.
 */
public record InlineTile(String imageId, int seq, long offset, byte[] payload) implements ImageMessage {
}
