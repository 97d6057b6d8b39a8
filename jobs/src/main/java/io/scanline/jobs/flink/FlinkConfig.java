package io.scanline.jobs.flink;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.StateBackendOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Flink-style configuration of the jobs: a {@code config.yaml} (Flink 2 format) plus {@code -Dkey=value}
 * overrides, which win; then the state backend and checkpoint directory options, when given, win over both.
 */
public final class FlinkConfig {
    private FlinkConfig() {}

    /**
     * @param configYaml   a {@code config.yaml} file, or null
     * @param overrides    {@code key -> value}, as given by -D
     * @param stateBackend {@code hashmap} or {@code rocksdb} (incremental checkpoints on), or null to keep the config's
     * @param checkpointDir checkpoint storage URI or path, or null to keep the config's
     */
    public static Configuration load(Path configYaml, Map<String, String> overrides, String stateBackend, String checkpointDir) {
        Configuration dynamic = Configuration.fromMap(overrides);
        Configuration conf;
        if (configYaml != null) {
            if (!Files.isRegularFile(configYaml) || !configYaml.getFileName().toString().equals(GlobalConfiguration.FLINK_CONF_FILENAME)) {
                throw new IllegalArgumentException(configYaml + ": expected an existing Flink " + GlobalConfiguration.FLINK_CONF_FILENAME + " file");
            }
            conf = GlobalConfiguration.loadConfiguration(configYaml.toAbsolutePath().getParent().toString(), dynamic);
        } else {
            conf = dynamic;
        }
        if (stateBackend != null) {
            if (!stateBackend.equals("rocksdb") && !stateBackend.equals("hashmap")) {
                throw new IllegalArgumentException("state backend must be rocksdb or hashmap, got '" + stateBackend + "'");
            }
            conf.set(StateBackendOptions.STATE_BACKEND, stateBackend);
            // scan state changes every chunk but is small per image: incremental RocksDB checkpoints upload only changed files
            if (stateBackend.equals("rocksdb")) conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        }
        if (checkpointDir != null) {
            String uri = checkpointDir.contains("://") ? checkpointDir : Path.of(checkpointDir).toAbsolutePath().toUri().toString();
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, uri);
        }
        return conf;
    }
}
