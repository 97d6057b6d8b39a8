package io.scanline.connectors.results;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;

/** Kafka value (de)serializers of {@link ResultRecord} (JSON, version 1); the key is the image id. */
public final class ResultRecordSerde {
    private ResultRecordSerde() {}

    public static final class RecordSerializer implements Serializer<ResultRecord> {
        @Override
        public byte[] serialize(String topic, ResultRecord r) {
            return r == null ? null : r.toJson();
        }
    }

    public static final class RecordDeserializer implements Deserializer<ResultRecord> {
        @Override
        public ResultRecord deserialize(String topic, byte[] data) {
            if (data == null) return null;
            try {
                return ResultRecord.fromJson(data);
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("bad result record on " + topic + ": " + e.getMessage(), e);
            }
        }
    }
}
