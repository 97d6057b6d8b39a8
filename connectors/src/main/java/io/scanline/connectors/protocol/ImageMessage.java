package io.scanline.connectors.protocol;

/**
 * A record on the images topic (Kafka key = image id, so one image stays in one partition, in order).
 * Either a claim check ({@link ImageReference}) or one record of an inline stream
 * ({@link InlineHeader}, {@link InlineTile}..., {@link InlineEnd}). {@link MalformedMessage} is what
 * the deserializer yields for bytes that do not decode, so a bad record reaches the dead-letter
 * path instead of failing the consumer.
 */
public sealed interface ImageMessage permits ImageReference, InlineHeader, InlineTile, InlineEnd, MalformedMessage {
    String imageId();
}
