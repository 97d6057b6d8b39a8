package io.scanline.connectors.protocol;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka value serializer for the images topic. */
public final class ImageMessageSerializer implements Serializer<ImageMessage> {
    @Override
    public byte[] serialize(String topic, ImageMessage data) {
        return data == null ? null : ImageMessageCodec.encode(data);
    }
}
