package io.scanline.connectors.protocol;

import io.scanline.connectors.ingest.IngestException;

/** Bytes from the topic that are not a valid message; {@code imageId} comes from the Kafka key when there is one. */
public record MalformedMessage(String imageId, IngestException error) implements ImageMessage {
}
