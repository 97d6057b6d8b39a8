package io.scanline.connectors.protocol;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.charset.StandardCharsets;

/**
 * Kafka value deserializer for the images topic. It never throws: bytes that do not decode become a
 * {@link MalformedMessage} (a throwing deserializer would stall the consumer on a poison record),
 * and a record whose key disagrees with its image id is malformed too.
 */
public final class ImageMessageDeserializer implements Deserializer<ImageMessage> {
    @Override
    public ImageMessage deserialize(String topic, byte[] data) {
        return decode(null, data);
    }

    @Override
    public ImageMessage deserialize(String topic, Headers headers, byte[] data) {
        return decode(null, data);
    }

    /** Decodes a value together with its record key (the image id, UTF-8). */
    public static ImageMessage decode(byte[] key, byte[] value) {
        String keyId = key == null ? "" : new String(key, StandardCharsets.UTF_8);
        try {
            ImageMessage m = ImageMessageCodec.decode(value);
            if (key != null && !keyId.equals(m.imageId())) {
                return new MalformedMessage(keyId, new IngestException(RejectReason.PROTOCOL_VIOLATION, keyId,
                        "record key '" + keyId + "' differs from the image id '" + m.imageId() + "' in the value"));
            }
            return m;
        } catch (IngestException e) {
            return new MalformedMessage(keyId, e);
        } catch (RuntimeException e) {
            return new MalformedMessage(keyId, new IngestException(RejectReason.PROTOCOL_VIOLATION, keyId, "undecodable record: " + e, e));
        }
    }
}
