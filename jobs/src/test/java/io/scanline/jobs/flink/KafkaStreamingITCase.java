package io.scanline.jobs.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.stream.ImageHeader;
import io.scanline.kernels.stream.ImageScan;
import io.scanline.kernels.stream.ScanEngine;
import io.scanline.kernels.stream.ScanEngines;
import io.scanline.kernels.tensor.Tensor;
import io.scanline.operators.ChunkRecord;
import io.scanline.operators.ImageChunker;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The continuous streaming job against a real in-process KRaft broker: two real image crops and a
 * corrupt JPEG as image references; the backend fails once in the middle of an image; Flink restarts
 * from the last checkpoint. A read_committed consumer must see each image's RESULT exactly once, equal
 * bit for bit to a failure-free direct engine run, and the corrupt image once on the dead-letter topic.
 */
class KafkaStreamingITCase {
    static final Path SHARED = Path.of(System.getProperty("scanline.shared", "../shared"));
    static final Path MODEL = SHARED.resolve("golden/defocus_mamba_d3_224x224");
    @TempDir
    static Path tmp;
    static KafkaClusterTestKit kafka;
    static String bootstrap;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        kafka.format();
        kafka.startup();
        kafka.waitForReadyBrokers();
        bootstrap = kafka.bootstrapServers();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) kafka.close();
    }

    static void createTopics(String... names) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<NewTopic> t = new ArrayList<>();
            for (String n : names) t.add(new NewTopic(n, 2, (short) 1));
            admin.createTopics(t).all().get();
        }
    }

    static Path crop(int i) throws Exception {
        BufferedImage ihc = ImageIO.read(SHARED.resolve("testdata/pathology/ihc.png").toFile());
        BufferedImage crop = new BufferedImage(112, 80, BufferedImage.TYPE_INT_RGB);
        crop.getGraphics().drawImage(ihc.getSubimage(40 + 200 * i, 60 + 150 * i, 112, 80), 0, 0, null);
        Path p = tmp.resolve("ihc-" + i + ".png");
        if (!Files.exists(p)) ImageIO.write(crop, "png", p.toFile());
        return p;
    }

    static Path broken() throws Exception {
        Path p = tmp.resolve("broken.jpg");
        if (!Files.exists(p)) Files.copy(SHARED.resolve("testdata/corrupt/broken-sos-before-sof.jpg"), p);
        return p;
    }

    static KafkaProducer<byte[], byte[]> bytesProducer() {
        return new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", bootstrap),
                new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    static byte[] key(String id) {
        return id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A protocol v1 claim check with the file's size and SHA-256, which the job verifies. */
    static byte[] ref(String id, Path file) throws Exception {
        var r = new io.scanline.connectors.protocol.ImageReference(id, file.toUri().toString(),
                io.scanline.connectors.uri.ClaimCheckResolver.sha256Hex(file), Files.size(file), null, null, null, null, Map.of());
        return io.scanline.connectors.protocol.ImageMessageCodec.encode(r);
    }

    static KafkaJobs.Ingest ingest() {
        return new KafkaJobs.Ingest(List.of(tmp.toString()), tmp.resolve("spool").toString(), 1L << 26);
    }

    static float[] logits(JsonNode r) {
        float[] got = new float[r.get("logits").size()];
        for (int i = 0; i < got.length; i++) got[i] = r.get("logits").get(i).floatValue();
        return got;
    }

    /** Everything on the topics for a read_committed consumer until {@code quietMs} pass without news. */
    static Map<String, List<JsonNode>> consume(String group, long timeoutS, long quietMs, int expected, String... topics) throws Exception {
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        cp.put("group.id", group);
        cp.put("auto.offset.reset", "earliest");
        cp.put("isolation.level", "read_committed");
        ObjectMapper json = new ObjectMapper();
        Map<String, List<JsonNode>> out = new HashMap<>();
        for (String t : topics) out.put(t, new ArrayList<>());
        try (var consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topics));
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutS).toNanos(), quietUntil = Long.MAX_VALUE;
            int n = 0;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    out.get(r.topic()).add(json.readTree(r.value()));
                    n++;
                }
                if (n >= expected && quietUntil == Long.MAX_VALUE) quietUntil = System.nanoTime() + quietMs * 1_000_000;
            }
        }
        return out;
    }

    @Test
    void backfillProcessesABoundedRangeInBatchModeAndFinishes() throws Exception {
        createTopics("bf-images", "bf-results", "bf-dead");
        Path img = crop(0);
        long until;
        try (var producer = bytesProducer()) {
            long now = System.currentTimeMillis();
            producer.send(new ProducerRecord<>("bf-images", 0, now, key("ihc-0.png"), ref("ihc-0.png", img))).get();
            producer.send(new ProducerRecord<>("bf-images", 1, now, key("broken.jpg"), ref("broken.jpg", broken()))).get();
            until = now + 1000;
            // outside the range on both partitions: must not be processed
            producer.send(new ProducerRecord<>("bf-images", 0, until + 5000, key("late"), ref("late", crop(1)))).get();
            producer.send(new ProducerRecord<>("bf-images", 1, until + 5000, key("late"), ref("late", crop(1)))).get();
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, new Configuration());
        KafkaJobs.backfill(env, new KafkaJobs.Topics(bootstrap, "bf-images", "bf-results", "bf-dead", "bf"), ingest(),
                JobSettings.defaults(MODEL.toString(), 16).withChunk(5).withEmitPatches(false), until);
        env.execute("scanline-backfill-it");    // returns only because the range is bounded
        Map<String, List<JsonNode>> got = consume("bf-verifier", 30, 1000, 2, "bf-results", "bf-dead");
        assertEquals(1, got.get("bf-results").size(), got.toString());
        assertEquals("ihc-0.png", got.get("bf-results").get(0).get("image").asText());
        assertArrayEquals(direct(List.of(img)).get("ihc-0.png"), logits(got.get("bf-results").get(0)));
        assertEquals(1, got.get("bf-dead").size(), got.toString());
        assertEquals("broken.jpg", got.get("bf-dead").get(0).get("image").asText());
    }

    @Test
    void exactlyOnceThroughAFailureMidImage() throws Exception {
        List<Path> images = List.of(crop(0), crop(1));
        Path broken = broken();
        Map<String, float[]> want = direct(images);
        createTopics("images", "results", "dead-letters");
        try (var producer = bytesProducer()) {
            // protocol v1: a verified claim check, a corrupt file by reference, and an inline image
            producer.send(new ProducerRecord<>("images", key("ihc-0.png"), ref("ihc-0.png", images.get(0)))).get();
            producer.send(new ProducerRecord<>("images", key("broken.jpg"), ref("broken.jpg", broken))).get();
            io.scanline.connectors.protocol.InlineSplitter.split("ihc-1.png", images.get(1), Map.of(), 4096, m -> {
                try {
                    producer.send(new ProducerRecord<>("images", key("ihc-1.png"), io.scanline.connectors.protocol.ImageMessageCodec.encode(m))).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        // RocksDB with incremental checkpoints, as production runs: the restart restores scan state from it
        Configuration conf = FlinkConfig.load(null, Map.of(), "rocksdb", tmp.resolve("checkpoints").toString());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        conf.set(org.apache.flink.configuration.HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofMillis(500));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
        JobSettings s = JobSettings.defaults(MODEL.toString(), 16).withBackend("failing-once").withChunk(4).withBundle(1)
                .withEmitPatches(false).withParallelism(2);
        KafkaJobs.streaming(env, new KafkaJobs.Topics(bootstrap, "images", "results", "dead-letters", "it"), ingest(), s, 300);
        JobClient job = env.executeAsync("scanline-kafka-it");
        try {
            // read until everything arrived, then two more seconds to catch any duplicate
            Map<String, List<JsonNode>> got = consume("verifier", 90, 2000, 3, "results", "dead-letters");
            List<JsonNode> results = got.get("results"), dead = got.get("dead-letters");
            assertTrue(FailingBackendProvider.FAILED.get(), "the failure was injected");
            assertEquals(2, results.size(), "each result exactly once: " + results);
            for (JsonNode r : results) assertArrayEquals(want.get(r.get("image").asText()), logits(r), r.get("image").asText());
            assertEquals(want.keySet(), Set.copyOf(results.stream().map(r -> r.get("image").asText()).toList()));
            assertEquals(1, dead.size(), "corrupt image once on the dead-letter topic: " + dead);
            assertEquals("broken.jpg", dead.get(0).get("image").asText());
            assertTrue(java.util.Arrays.stream(io.scanline.connectors.ingest.RejectReason.values()).anyMatch(r -> r.name().equals(dead.get(0).get("reason_code").asText())), dead.get(0).toString());
            assertFalse(job.getJobStatus().get().isGloballyTerminalState(), "the job keeps running");
            // running tasks report accumulators with their heartbeats (every 500 ms here)
            Object restored = null;
            for (int i = 0; i < 20 && !(restored instanceof Number n && n.longValue() >= 1); i++) {
                Thread.sleep(250);
                restored = job.getAccumulators().get().get(io.scanline.operators.RecurrentScanOperator.ACC_RESTORED_MID_SCAN);
            }
            assertTrue(restored instanceof Number n && n.longValue() >= 1,
                    "the restart resumed at least one image from a mid-image checkpoint: " + restored);
            try (var files = Files.walk(tmp.resolve("checkpoints"))) {
                assertTrue(files.anyMatch(f -> Files.isRegularFile(f) && f.getParent().getFileName().toString().equals("shared")),
                        "incremental RocksDB checkpoints upload their SST files under shared/");
            }
        } finally {
            job.cancel().get();
        }
    }

    static Map<String, float[]> direct(List<Path> images) throws Exception {
        ScanEngine engine = ScanEngines.load(MODEL, new ReferenceBackend());
        Map<String, float[]> out = new HashMap<>();
        for (Path p : images) {
            List<ChunkRecord> recs = new ArrayList<>();
            new ImageChunker(16, 1 << 20, 0).chunk(p.getFileName().toString(), p.toString(), recs::add);
            ChunkRecord r = recs.get(0);
            ImageScan s = engine.open(new ImageHeader(r.imageId, r.gridH, r.gridW));
            s.accept(Tensor.of(r.pixels, r.patches(), 3, 16, 16));
            out.put(r.imageId, s.finish().logits());
        }
        return out;
    }
}
