package io.scanline.jobs.cli;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.protocol.ImageMessage;
import io.scanline.connectors.protocol.ImageMessageCodec;
import io.scanline.connectors.protocol.ImageMessageSerializer;
import io.scanline.connectors.protocol.ImageReference;
import io.scanline.connectors.protocol.InlineSplitter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code scanline send}: a producer for the images topic in protocol v1 (connectors/README.md). By
 * default one claim-check reference per file (absolute {@code file:} URI, SHA-256 and size, so the
 * job verifies it reads the bytes that were sent); with {@code --inline} the file's bytes as inline
 * tile records, for producers without storage shared with the workers. Key = image id = file name.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Send images to the images topic (protocol v1): claim-check references, or --inline bytes.")
public final class SendCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--bootstrap", required = true, description = "Kafka bootstrap servers") String bootstrap;
    @Option(names = "--topic", defaultValue = "images") String topic;
    @Option(names = "--inline", description = "send the bytes (inline tile records) instead of a reference") boolean inline;
    @Option(names = "--timeout-s", defaultValue = "60", description = "bound on waiting for the broker's acks") long timeoutS;
    @Parameters(arity = "1..*", paramLabel = "FILE") List<Path> files;

    @Override
    public Integer call() throws Exception {
        checkFiles(files);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Bounded: a missing broker fails the command instead of blocking forever.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(TimeUnit.SECONDS.toMillis(timeoutS)));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(TimeUnit.SECONDS.toMillis(timeoutS)));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(Math.min(30_000, TimeUnit.SECONDS.toMillis(timeoutS))));
        try (KafkaProducer<String, ImageMessage> producer =
                     new KafkaProducer<>(p, new StringSerializer(), new ImageMessageSerializer())) {
            for (Path f : files) {
                String id = imageId(f);
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                messages(f, inline, m -> sent.add(producer.send(new ProducerRecord<>(topic, id, m))));
                RecordMetadata last = null;
                for (Future<RecordMetadata> s : sent) last = s.get(timeoutS, TimeUnit.SECONDS);
                System.out.printf("%s -> %s-%d@%d (%s, %d record%s)%n", id, last.topic(), last.partition(), last.offset(),
                        inline ? "inline" : "reference", sent.size(), sent.size() == 1 ? "" : "s");
            }
        }
        return 0;
    }

    /** Every file exists and its name is a valid image id; fails on the first that is not, before any send. */
    static void checkFiles(List<Path> files) throws IngestException {
        for (Path f : files) {
            if (!Files.isRegularFile(f)) throw new IllegalArgumentException("no such file: " + f);
            ImageMessageCodec.checkImageId(f.getFileName().toString(), f.toString());
        }
    }

    /** The image id (= record key) of a file: its name. */
    static String imageId(Path f) {
        return f.toAbsolutePath().normalize().getFileName().toString();
    }

    /**
     * The protocol v1 messages for one file, in send order: one claim-check reference (absolute
     * {@code file:} URI, SHA-256, size), or with {@code inline} the inline header, tiles and end.
     */
    static void messages(Path f, boolean inline, Consumer<ImageMessage> out) throws IOException {
        Path abs = f.toAbsolutePath().normalize();
        String id = abs.getFileName().toString();
        if (inline) {
            InlineSplitter.split(id, abs, Map.of(), ImageMessageCodec.DEFAULT_TILE_PAYLOAD, out);
        } else {
            out.accept(new ImageReference(id, abs.toUri().toString(), sha256Hex(abs), Files.size(abs),
                    null, null, null, null, Map.of()));
        }
    }

    private static String sha256Hex(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
