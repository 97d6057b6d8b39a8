package io.scanline.jobs.flink;

import io.scanline.operators.ScanEvent;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
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
 * Wiring of the Kafka modes onto {@link ScanJobGraph}. Input messages are image references (a file
 * path per message, keyed by image id); results and dead letters are JSON ({@link EventJson}) keyed by
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

    public static void streaming(StreamExecutionEnvironment env, Topics t, JobSettings s, long checkpointMs) {
        env.enableCheckpointing(checkpointMs, CheckpointingMode.EXACTLY_ONCE);
        // barriers overtake queued chunks: a slow (GPU-bound) scan does not delay checkpoints, and a
        // checkpoint can fall in the middle of an image even though patchify emits an image at once
        env.getCheckpointConfig().enableUnalignedCheckpoints();
        KafkaSource<String> src = source(t).setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST)).build();
        new ScanJobGraph(e -> e.fromSource(src, WatermarkStrategy.noWatermarks(), "kafka-images").uid("kafka-images"),
                sink(t, t.results(), DeliveryGuarantee.EXACTLY_ONCE, "scanline-results"),
                sink(t, t.deadLetters(), DeliveryGuarantee.EXACTLY_ONCE, "scanline-dlq"), s).addTo(env);
    }

    /** Bounded backfill of the input topic from its earliest offsets up to {@code untilTimestampMs}. */
    public static void backfill(StreamExecutionEnvironment env, Topics t, JobSettings s, long untilTimestampMs) {
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        KafkaSource<String> src = source(t).setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.timestamp(untilTimestampMs)).build();
        // BATCH keyed state holds one key at a time: bundles of one chunk keep setCurrentKey on that key
        new ScanJobGraph(e -> e.fromSource(src, WatermarkStrategy.noWatermarks(), "kafka-images-backfill"),
                sink(t, t.results(), DeliveryGuarantee.AT_LEAST_ONCE, "scanline-backfill-results"),
                sink(t, t.deadLetters(), DeliveryGuarantee.AT_LEAST_ONCE, "scanline-backfill-dlq"), s.withBundle(1)).addTo(env);
    }

    private static org.apache.flink.connector.kafka.source.KafkaSourceBuilder<String> source(Topics t) {
        return KafkaSource.<String>builder().setBootstrapServers(t.bootstrap()).setTopics(t.images()).setGroupId(t.groupId())
                .setValueOnlyDeserializer(new SimpleStringSchema());
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
