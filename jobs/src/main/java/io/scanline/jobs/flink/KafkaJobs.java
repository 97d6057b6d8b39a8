package io.scanline.jobs.flink;

import io.scanline.operators.ChunkRecord;
import io.scanline.operators.ImageChunker;
import io.scanline.operators.ImageMessageFunction;
import io.scanline.operators.RawMessage;
import io.scanline.operators.ScanEvent;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import java.util.List;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/**
 * Wiring of the Kafka modes onto {@link ScanJobGraph}. Input messages follow the image protocol v1
 * (connectors README: claim-check references resolved inside configured roots, or inline tile
 * records), keyed by image id; results and dead letters are JSON ({@link EventJson}) keyed by
 * image id.
 * <ul>
 *   <li>continuous streaming: committed offsets (earliest if none), unaligned exactly-once checkpoints
 *       every {@code checkpointMs}, transactional sinks read by read_committed consumers</li>
 *   <li>backfill: a bounded range of offsets (earliest .. timestamp) in BATCH execution; sinks are
 *       at-least-once there (a rerun of a backfill rewrites the same results under the same keys)</li>
 * </ul>
 */
public final class KafkaJobs {
    /** Below the broker's default transaction.max.timeout.ms (15 min); the sink's 1 h default is refused. */
    public static final String TRANSACTION_TIMEOUT_MS = "600000";

    private KafkaJobs() {}

    public record Topics(String bootstrap, String images, String results, String deadLetters, String groupId) {}

    /**
     * How image messages (protocol v1) are resolved: claim-check URIs only inside {@code roots};
     * inline images reassembled under {@code spoolDir}, at most {@code maxInlineBytes} each.
     */
    public record Ingest(List<String> roots, String spoolDir, long maxInlineBytes) implements java.io.Serializable {
        public Ingest {
            roots = List.copyOf(roots);
        }
    }

    public static void streaming(StreamExecutionEnvironment env, Topics t, Ingest in, JobSettings s, long checkpointMs) {
        env.enableCheckpointing(checkpointMs, CheckpointingMode.EXACTLY_ONCE);
        // barriers overtake queued chunks: a slow (GPU-bound) scan does not delay checkpoints, and a
        // checkpoint can fall in the middle of an image even though patchify emits an image at once
        env.getCheckpointConfig().enableUnalignedCheckpoints();
        KafkaSource<RawMessage> src = source(t).setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST)).build();
        ScanJobGraph.fromChunks(e -> chunks(e.fromSource(src, WatermarkStrategy.noWatermarks(), "kafka-images").uid("kafka-images"), in, s),
                sink(t, t.results(), DeliveryGuarantee.EXACTLY_ONCE, "scanline-results"),
                sink(t, t.deadLetters(), DeliveryGuarantee.EXACTLY_ONCE, "scanline-dlq"), s).addTo(env);
    }

    /** Bounded backfill of the input topic from its earliest offsets up to {@code untilTimestampMs}. */
    public static void backfill(StreamExecutionEnvironment env, Topics t, Ingest in, JobSettings s, long untilTimestampMs) {
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        KafkaSource<RawMessage> src = source(t).setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.timestamp(untilTimestampMs)).build();
        // BATCH keyed state holds one key at a time: bundles of one chunk keep setCurrentKey on that key
        ScanJobGraph.fromChunks(e -> chunks(e.fromSource(src, WatermarkStrategy.noWatermarks(), "kafka-images-backfill"), in, s),
                sink(t, t.results(), DeliveryGuarantee.AT_LEAST_ONCE, "scanline-backfill-results"),
                sink(t, t.deadLetters(), DeliveryGuarantee.AT_LEAST_ONCE, "scanline-backfill-dlq"), s.withBundle(1)).addTo(env);
    }

    /** Protocol v1 decoding right after the source: one image's records are in one partition, in order. */
    private static SingleOutputStreamOperator<ChunkRecord> chunks(DataStream<RawMessage> raw, Ingest in, JobSettings s) {
        return raw.process(new ImageMessageFunction(new ImageChunker(s.patchSize(), s.chunkPatches(), s.tilePatches()),
                        in.roots(), in.spoolDir(), in.maxInlineBytes()))
                .name("image-protocol").uid("image-protocol")
                .returns(TypeInformation.of(ChunkRecord.class));
    }

    private static org.apache.flink.connector.kafka.source.KafkaSourceBuilder<RawMessage> source(Topics t) {
        return KafkaSource.<RawMessage>builder().setBootstrapServers(t.bootstrap()).setTopics(t.images()).setGroupId(t.groupId())
                .setDeserializer(new RawRecords());
    }

    /** Key and value bytes as they are: decoding errors must become dead letters, not source failures. */
    static final class RawRecords implements KafkaRecordDeserializationSchema<RawMessage> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawMessage> out) {
            out.collect(new RawMessage(r.key(), r.value()));
        }

        @Override
        public TypeInformation<RawMessage> getProducedType() {
            return TypeInformation.of(RawMessage.class);
        }
    }

    static KafkaSink<ScanEvent> sink(Topics t, String topic, DeliveryGuarantee g, String txPrefix) {
        return KafkaSink.<ScanEvent>builder()
                .setBootstrapServers(t.bootstrap())
                .setRecordSerializer(new JsonRecords(topic))
                .setDeliveryGuarantee(g)
                .setTransactionalIdPrefix(txPrefix)
                .setProperty("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
                .build();
    }

    /** JSON value, image id as key so one image's events stay in one partition, in order. */
    static final class JsonRecords implements KafkaRecordSerializationSchema<ScanEvent> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        JsonRecords(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(ScanEvent e, KafkaSinkContext ctx, Long ts) {
            return new ProducerRecord<>(topic, e.imageId.getBytes(StandardCharsets.UTF_8), EventJson.bytes(e));
        }
    }
}
