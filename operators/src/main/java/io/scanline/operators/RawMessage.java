package io.scanline.operators;

/** One Kafka record of the images topic as bytes (Flink POJO); decoded by {@link ImageMessageFunction}. */
public class RawMessage {
    public byte[] key;
    public byte[] value;

    public RawMessage() {}

    public RawMessage(byte[] key, byte[] value) {
        this.key = key;
        this.value = value;
    }
}
