package io.scanline.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every Flink configuration key of the manifests and of the local cluster is a Flink 2.2 key with a parseable value. */
class FlinkConfigurationTest {
    private static FlinkOptions options;

    @BeforeAll
    static void load() {
        options = FlinkOptions.load();
        // The option classes behind the keys we set must have been found, or "unknown key" means nothing.
        for (String c : List.of("org.apache.flink.configuration.CheckpointingOptions",
                "org.apache.flink.configuration.StateBackendOptions",
                "org.apache.flink.configuration.RestartStrategyOptions",
                "org.apache.flink.configuration.HighAvailabilityOptions",
                "org.apache.flink.configuration.ExternalResourceOptions",
                "org.apache.flink.configuration.MetricOptions",
                "org.apache.flink.state.rocksdb.RocksDBOptions",
                "org.apache.flink.kubernetes.configuration.KubernetesConfigOptions")) {
            assertTrue(options.classesScanned().contains(c), c + " not scanned; unloadable: " + options.unloadable());
        }
    }

    static Map<String, String> flinkConfiguration(String manifest) {
        Map<String, String> out = new LinkedHashMap<>();
        DeployFiles.single(manifest).at("/spec/flinkConfiguration").fields()
                .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** The local cluster's config.yaml with its placeholders filled the way start-flink.sh fills them. */
    static Map<String, String> localConfig() {
        String text = DeployFiles.text("local/conf/flink-config.yaml")
                .replace("@RPC_PORT@", "16123").replace("@REST_PORT@", "18081").replace("@TM_SLOTS@", "2")
                .replace("@TM_PROCESS_SIZE@", "1728m").replace("@RUN_DIR@", "/tmp/scanline-run");
        assertFalse(text.lines().filter(l -> !l.startsWith("#")).anyMatch(l -> l.matches(".*@[A-Z_]+@.*")), "unfilled placeholder in local/conf/flink-config.yaml");
        Map<String, String> out = new LinkedHashMap<>();
        try {
            JsonNode n = DeployFiles.YAML.readTree(text);
            n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"k8s/scanline-streaming.yaml", "k8s/scanline-backfill.yaml"})
    void manifestKeysAreFlinkKeys(String manifest) {
        Map<String, String> conf = flinkConfiguration(manifest);
        assertTrue(conf.size() > 10, manifest);
        assertEquals(List.of(), options.checkAll(conf), manifest);
    }

    @Test
    void localClusterKeysAreFlinkKeys() {
        Map<String, String> conf = localConfig();
        assertTrue(conf.size() > 10);
        assertEquals(List.of(), options.checkAll(conf));
    }

    @Test
    void classValuedOptionsNameLoadableClasses() throws Exception {
        for (String m : List.of("k8s/scanline-streaming.yaml", "k8s/scanline-backfill.yaml")) {
            Map<String, String> conf = flinkConfiguration(m);
            Class.forName(conf.get("metrics.reporter.prom.factory.class"));
            assertEquals(FlinkOptions.GPU_DRIVER_FACTORY, conf.get("external-resource.gpu.driver-factory.class"), m);
        }
    }

    // ---- negative cases ----

    @Test
    void rejectsATypo() {
        assertEquals(1, options.check("execution.checkpointing.intervall", "60s").size());
    }

    @Test
    void rejectsADeprecatedKey() {
        List<String> p = options.check("state.backend.incremental", "true");
        assertEquals(1, p.size());
        assertTrue(p.get(0).contains("deprecated"), p::toString);
    }

    @Test
    void rejectsAValueOfTheWrongType() {
        assertEquals(1, options.check("execution.checkpointing.interval", "every minute").size());
        assertEquals(1, options.check("execution.checkpointing.mode", "TWICE").size());
        assertEquals(1, options.check("taskmanager.numberOfTaskSlots", "one").size());
    }

    @Test
    void templateKeysMatchOneNameSegmentOnly() {
        assertEquals(List.of(), options.check("external-resource.gpu.amount", "1"));
        assertEquals(List.of(), options.check("external-resource.gpu.kubernetes.config-key", "nvidia.com/gpu"));
        assertEquals(List.of(), options.check("external-resource.gpu.param.discovery-script.args", "--x"));
        assertEquals(1, options.check("external-resource.gpu.amout", "1").size());
        assertEquals(1, options.check("external-resource.gpu.x.amount", "1").size());
        assertEquals(1, options.check("metrics.reporter.prom.prot", "9249").size());
    }
}
