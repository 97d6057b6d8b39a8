package io.scanline.jobs.flink;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** config.yaml, -D overrides and the state backend / checkpoint options, in that order of precedence. */
class FlinkConfigTest {
    @TempDir Path dir;

    @Test
    void yamlThenOverridesThenOptions() throws Exception {
        Path yaml = Files.writeString(dir.resolve("config.yaml"),
                "parallelism:\n  default: 3\nstate:\n  backend:\n    type: hashmap\npipeline:\n  max-parallelism: 64\n");
        Configuration c = FlinkConfig.load(yaml, Map.of("parallelism.default", "5"), null, null);
        assertEquals("5", c.toMap().get("parallelism.default"), "-D wins over config.yaml");
        assertEquals("64", c.toMap().get("pipeline.max-parallelism"));
        assertEquals("hashmap", c.get(StateBackendOptions.STATE_BACKEND));

        Configuration r = FlinkConfig.load(yaml, Map.of(), "rocksdb", dir.resolve("ckpt").toString());
        assertEquals("rocksdb", r.get(StateBackendOptions.STATE_BACKEND));
        assertTrue(r.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS));
        assertEquals(dir.resolve("ckpt").toUri().toString(), r.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
    }

    @Test
    void badInputIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> FlinkConfig.load(dir.resolve("flink-conf.yaml"), Map.of(), null, null));
        assertThrows(IllegalArgumentException.class, () -> FlinkConfig.load(null, Map.of(), "memory", null));
    }
}
