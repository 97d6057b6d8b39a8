package io.scanline.jobs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.jobs.flink.JobSettings;
import io.scanline.jobs.flink.KafkaJobs;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.scanline.jobs.flink.FlinkConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code scanline run-kafka}: the continuous streaming job (or, with {@code --backfill-until}, the
 * bounded backfill) against a Kafka cluster. Runs on the cluster the environment points to (a
 * submitted jar), or on an embedded mini cluster when started directly.
 */
@Command(name = "run-kafka", mixinStandardHelpOptions = true,
        description = "Kafka in -> scan -> Kafka out (exactly-once), with a dead-letter topic; or a bounded backfill.")
public final class RunKafkaCommand implements Callable<Integer> {
    @Option(names = "--model", required = true) Path model;
    @Option(names = "--bootstrap", required = true, description = "Kafka bootstrap servers") String bootstrap;
    @Option(names = "--images", defaultValue = "images") String images;
    @Option(names = "--results", defaultValue = "results") String results;
    @Option(names = "--dead-letters", defaultValue = "dead-letters") String deadLetters;
    @Option(names = "--group", defaultValue = "scanline") String group;
    @Option(names = "--backend", defaultValue = "reference") String backend;
    @Option(names = "--chunk", defaultValue = "64") int chunk;
    @Option(names = "--bundle", defaultValue = "16") int bundle;
    @Option(names = "--parallelism", defaultValue = "1") int parallelism;
    @Option(names = "--checkpoint-ms", defaultValue = "10000") long checkpointMs;
    @Option(names = "--backfill-until", description = "bounded backfill up to this epoch-ms timestamp, in BATCH mode") Long until;
    @Option(names = "--root", required = true, description = "directory that claim-check URIs may point into (repeatable)") List<Path> roots;
    @Option(names = "--spool-dir", description = "where inline images are reassembled (default: a temp dir)") Path spool;
    @Option(names = "--max-inline-bytes", defaultValue = "1073741824") long maxInlineBytes;
    @Option(names = "--config", description = "a Flink config.yaml") Path config;
    @Option(names = "-D", description = "Flink option override key=value (repeatable)") Map<String, String> overrides = new LinkedHashMap<>();
    @Option(names = "--state-backend", description = "rocksdb (incremental checkpoints) or hashmap") String stateBackend;
    @Option(names = "--checkpoint-dir", description = "checkpoint storage directory or URI") String checkpointDir;

    @Override
    public Integer call() throws Exception {
        int ps = new ObjectMapper().readTree(model.resolve("config.json").toFile()).path("patch_size").asInt(0);
        if (ps < 1) throw new IllegalArgumentException(model + ": config.json has no patch_size");
        JobSettings s = JobSettings.defaults(model.toAbsolutePath().toString(), ps).withBackend(backend).withChunk(chunk)
                .withBundle(bundle).withParallelism(parallelism).withEmitPatches(false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkConfig.load(config, overrides, stateBackend, checkpointDir));
        KafkaJobs.Topics t = new KafkaJobs.Topics(bootstrap, images, results, deadLetters, group);
        String spoolDir = (spool != null ? spool : Path.of(System.getProperty("java.io.tmpdir"), "scanline-inline")).toAbsolutePath().toString();
        KafkaJobs.Ingest in = new KafkaJobs.Ingest(roots.stream().map(p -> p.toAbsolutePath().toString()).toList(), spoolDir, maxInlineBytes);
        if (until != null) KafkaJobs.backfill(env, t, in, s, until);
        else KafkaJobs.streaming(env, t, in, s, checkpointMs);
        env.execute(until != null ? "scanline-backfill" : "scanline-streaming");
        return 0;
    }
}
