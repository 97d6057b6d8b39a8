package io.scanline.connectors.protocol;

import io.scanline.connectors.TestData;
import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.uri.ClaimCheckResolver;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Round trip through a real in-process KRaft broker: reference and inline images are produced,
 * consumed, resolved or reassembled byte-exact and decoded; a reordered stream is reassembled;
 * a corrupted tile and a garbage record end as typed rejections.
 */
class KafkaImageRoundTripITCase {
    private static final String TOPIC = "images";
    private static KafkaClusterTestKit cluster;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() throws Exception {
        cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true)
                .setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void referenceAndInlineImagesSurviveTheBroker() throws Exception {
        // Canonical paths: the resolver refuses any URI with a '..' segment.
        Path svs = TestData.testdata("pathology/CMU-1-Small-Region.svs.tiff").toRealPath();
        Path png = TestData.testdata("pathology/ihc.png").toRealPath();
        Path root = svs.getParent().getParent();
        String svsSha = ClaimCheckResolver.sha256Hex(svs);

        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, ImageMessage> p = new KafkaProducer<>(pp, new StringSerializer(), new ImageMessageSerializer());
             KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
            // (a) claim check with size and checksum
            p.send(new ProducerRecord<>(TOPIC, "ref-svs", new ImageReference("ref-svs", svs.toUri().toString(), svsSha,
                    Files.size(svs), 0, null, null, null, Map.of("model", "defocus_mamba"))));
            // (b) inline, full-size tiles (~960 KiB records, the 1 MiB default limit)
            InlineSplitter.split("inline-svs", svs, Map.of(), ImageMessageCodec.DEFAULT_TILE_PAYLOAD,
                    m -> p.send(new ProducerRecord<>(TOPIC, m.imageId(), m)));
            // (c) inline, small tiles, sent out of order (as a retrying producer or replay could)
            List<ImageMessage> shuffled = new ArrayList<>();
            InlineSplitter.split("inline-png", png, Map.of("model", "vil2"), 50_000, shuffled::add);
            Collections.shuffle(shuffled, new Random(7));
            shuffled.forEach(m -> p.send(new ProducerRecord<>(TOPIC, m.imageId(), m)));
            // (d) inline with one corrupted tile record
            List<ImageMessage> bad = new ArrayList<>();
            InlineSplitter.split("inline-bad", png, Map.of(), 100_000, bad::add);
            for (int i = 0; i < bad.size(); i++) {
                byte[] v = ImageMessageCodec.encode(bad.get(i));
                if (i == 2) {
                    v[v.length - 100] ^= 0x10;
                }
                raw.send(new ProducerRecord<>(TOPIC, "inline-bad".getBytes(StandardCharsets.UTF_8), v));
            }
            // (e) garbage
            raw.send(new ProducerRecord<>(TOPIC, "garbage".getBytes(StandardCharsets.UTF_8), "not an image".getBytes(StandardCharsets.UTF_8)));
            p.flush();
            raw.flush();
        }

        Map<String, Object> outcome = new HashMap<>();
        ClaimCheckResolver resolver = new ClaimCheckResolver(List.of(root), Map.of());
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, "ingest-test");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             InlineAssembler asm = new InlineAssembler(tmp.resolve("spool"), 1L << 30, 64)) {
            c.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (outcome.size() < 5 && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    ImageMessage m = ImageMessageDeserializer.decode(r.key(), r.value());
                    if (m instanceof ImageReference ref) {
                        try {
                            outcome.put(ref.imageId(), resolver.resolveAndVerify(ref));
                        } catch (IngestException e) {
                            outcome.put(ref.imageId(), e);
                        }
                    } else {
                        AssemblyResult a = asm.accept(m);
                        if (a instanceof AssemblyResult.Completed done) {
                            outcome.put(done.imageId(), done);
                        } else if (a instanceof AssemblyResult.Rejected rej) {
                            outcome.putIfAbsent(rej.imageId(), rej.error());
                        }
                    }
                }
            }
        }
        assertEquals(5, outcome.size(), "every image reached an outcome: " + outcome.keySet());

        assertEquals(svs.toRealPath(), outcome.get("ref-svs"));
        AssemblyResult.Completed inSvs = assertInstanceOf(AssemblyResult.Completed.class, outcome.get("inline-svs"));
        assertArrayEquals(Files.readAllBytes(svs), Files.readAllBytes(inSvs.file()), "inline SVS byte-exact");
        assertEquals(svsSha, inSvs.sha256Hex());
        AssemblyResult.Completed inPng = assertInstanceOf(AssemblyResult.Completed.class, outcome.get("inline-png"));
        assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(inPng.file()), "reordered inline PNG byte-exact");
        assertEquals("vil2", inPng.header().params().get("model"));
        assertEquals(RejectReason.CHECKSUM_MISMATCH, assertInstanceOf(IngestException.class, outcome.get("inline-bad")).reason());
        assertEquals(RejectReason.PROTOCOL_VIOLATION, assertInstanceOf(IngestException.class, outcome.get("garbage")).reason());

        // The reassembled file is a readable slide, identical in structure to the original.
        try (ImageSource s = ImageSources.open(inSvs.file(), IngestLimits.defaults())) {
            assertEquals(2220, s.levels().get(0).width());
            assertTrue(s.format().startsWith("SVS"));
        }
    }
}
