package io.scanline.jobs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.jobs.flink.JobSettings;
import io.scanline.jobs.flink.KafkaJobs;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
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

    @Override
    public Integer call() throws Exception {
        int ps = new ObjectMapper().readTree(model.resolve("config.json").toFile()).path("patch_size").asInt(0);
        if (ps < 1) throw new IllegalArgumentException(model + ": config.json has no patch_size");
        JobSettings s = JobSettings.defaults(model.toAbsolutePath().toString(), ps).withBackend(backend).withChunk(chunk)
                .withBundle(bundle).withParallelism(parallelism).withEmitPatches(false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        KafkaJobs.Topics t = new KafkaJobs.Topics(bootstrap, images, results, deadLetters, group);
        if (until != null) KafkaJobs.backfill(env, t, s, until);
        else KafkaJobs.streaming(env, t, s, checkpointMs);
        env.execute(until != null ? "scanline-backfill" : "scanline-streaming");
        return 0;
    }
}
