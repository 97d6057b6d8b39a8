package io.scanline.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What no schema can see: the parts of the deployment that must agree with each other (GPU amount and
 * pod limits, metrics port and pod annotations, jar path and image, topics and job arguments,
 * production and local settings).
 */
class DeploymentConsistencyTest {
    private static final String STREAMING = "k8s/scanline-streaming.yaml";
    private static final String BACKFILL = "k8s/scanline-backfill.yaml";

    static List<String> gpuProblems(JsonNode d) {
        List<String> out = new ArrayList<>();
        JsonNode conf = d.at("/spec/flinkConfiguration");
        if (!List.of(conf.path("external-resources").asText().split(";")).contains("gpu")) out.add("external-resources lacks gpu");
        if (!"nvidia.com/gpu".equals(conf.path("external-resource.gpu.kubernetes.config-key").asText())) out.add("gpu config-key is not nvidia.com/gpu");
        String amount = conf.path("external-resource.gpu.amount").asText();
        JsonNode limit = d.at("/spec/taskManager/podTemplate/spec/containers/0/resources/limits/nvidia.com~1gpu");
        if (!amount.equals(limit.asText())) out.add("gpu amount " + amount + " != TaskManager pod limit " + limit.asText());
        if (!"1".equals(conf.path("taskmanager.numberOfTaskSlots").asText())) out.add("more than one slot shares the GPU");
        if (!d.at("/spec/jobManager/podTemplate/spec/containers/0/resources/limits/nvidia.com~1gpu").isMissingNode()) {
            out.add("the JobManager requests a GPU it never uses");
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {STREAMING, BACKFILL})
    void taskManagersGetExactlyOneGpuEach(String file) {
        assertEquals(List.of(), gpuProblems(DeployFiles.single(file)));
    }

    @Test
    void gpuMismatchIsReported() {
        ObjectNode d = DeployFiles.single(STREAMING).deepCopy();
        ((ObjectNode) d.at("/spec/flinkConfiguration")).put("external-resource.gpu.amount", "2");
        assertEquals(1, gpuProblems(d).size());
    }

    @Test
    void streamingStateIsDurableAndUpgradesThroughSavepoints() {
        JsonNode d = DeployFiles.single(STREAMING);
        JsonNode c = d.at("/spec/flinkConfiguration");
        assertEquals("rocksdb", c.path("state.backend.type").asText());
        assertEquals("true", c.path("execution.checkpointing.incremental").asText());
        assertEquals("kubernetes", c.path("high-availability.type").asText());
        Set<String> dirs = new HashSet<>();
        for (String k : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir", "high-availability.storageDir")) {
            String v = c.path(k).asText();
            assertTrue(v.startsWith("s3://"), k + " must be durable storage: " + v);
            assertTrue(dirs.add(v), k + " shares a directory");
        }
        assertEquals("RETAIN_ON_CANCELLATION", c.path("execution.checkpointing.externalized-checkpoint-retention").asText());
        assertEquals("savepoint", d.at("/spec/job/upgradeMode").asText());
        assertFalse(d.at("/spec/job/allowNonRestoredState").asBoolean(true), "state must never be dropped silently on upgrade");
        assertFalse(c.path("restart-strategy.type").asText().isEmpty());
    }

    @Test
    void backfillIsBoundedBatchAndStateless() {
        JsonNode d = DeployFiles.single(BACKFILL);
        assertEquals("BATCH", d.at("/spec/flinkConfiguration/execution.runtime-mode").asText());
        assertEquals("stateless", d.at("/spec/job/upgradeMode").asText());
        List<String> args = args(d);
        assertTrue(args.stream().anyMatch(a -> a.matches("--backfill-until=\\d+")), "a backfill must be bounded: " + args);
    }

    @ParameterizedTest
    @ValueSource(strings = {STREAMING, BACKFILL})
    void prometheusScrapesTheReporterPort(String file) {
        JsonNode d = DeployFiles.single(file);
        String port = d.at("/spec/flinkConfiguration/metrics.reporter.prom.port").asText();
        for (String pod : List.of("/spec/jobManager/podTemplate", "/spec/taskManager/podTemplate")) {
            assertEquals(port, d.at(pod + "/metadata/annotations/prometheus.io~1port").asText(), file + pod);
            assertEquals("true", d.at(pod + "/metadata/annotations/prometheus.io~1scrape").asText(), file + pod);
        }
        assertEquals(port, d.at("/spec/taskManager/podTemplate/spec/containers/0/ports/0/containerPort").asText(), file);
    }

    @ParameterizedTest
    @ValueSource(strings = {STREAMING, BACKFILL})
    void jobJarAndNativeLibrariesAreWhereTheImagePutsThem(String file) {
        JsonNode d = DeployFiles.single(file);
        String dockerfile = DeployFiles.text("docker/Dockerfile");
        String jar = d.at("/spec/job/jarURI").asText();
        assertTrue(jar.startsWith("local://"), jar);
        assertTrue(dockerfile.contains(" " + jar.substring("local://".length()) + "\n"), "Dockerfile does not copy the job jar to " + jar);
        assertEquals(DeployFiles.single(STREAMING).at("/spec/image").asText(), d.at("/spec/image").asText(), "one image for both modes");
        String patterns = d.at("/spec/flinkConfiguration/classloader.parent-first-patterns.additional").asText();
        assertEquals(Set.of("jcuda.", "ai.djl."), Set.of(patterns.split(";")), file);
        String nativeLibs = DeployFiles.text("docker/native-libs.xml");
        assertTrue(nativeLibs.contains("<groupId>org.jcuda</groupId>") && nativeLibs.contains("<groupId>ai.djl</groupId>"));
        assertTrue(dockerfile.contains("/opt/flink/lib/"), "native-library jars must land in Flink's lib/");
    }

    @ParameterizedTest
    @ValueSource(strings = {STREAMING, BACKFILL})
    void jobTopicsAreDeclaredTopics(String file) {
        Map<String, KafkaTopicsTest.Topic> topics = KafkaTopicsTest.topicsConf(DeployFiles.text("kafka/topics.conf"));
        int seen = 0;
        for (String a : args(DeployFiles.single(file))) {
            if (a.matches("--(images|results|dead-letters)=.*")) {
                seen++;
                assertTrue(topics.containsKey(a.substring(a.indexOf('=') + 1)), file + ": " + a + " is not in topics.conf");
            }
        }
        assertEquals(3, seen, file + ": images, results and dead-letter topics");
    }

    @ParameterizedTest
    @ValueSource(strings = {STREAMING, BACKFILL})
    void claimCheckRootsAreReadOnlyTaskManagerMounts(String file) {
        // run-kafka requires --root (protocol v1 references resolve only inside it), and the tasks
        // that read the images run in the TaskManager pods, so each root must be mounted there.
        JsonNode d = DeployFiles.single(file);
        List<String> roots = args(d).stream().filter(a -> a.startsWith("--root=")).map(a -> a.substring(7)).toList();
        assertFalse(roots.isEmpty(), file + ": run-kafka needs at least one --root");
        JsonNode mounts = d.at("/spec/taskManager/podTemplate/spec/containers/0/volumeMounts");
        for (String root : roots) {
            boolean mounted = false;
            for (JsonNode m : mounts) {
                if (root.equals(m.path("mountPath").asText())) {
                    mounted = true;
                    assertTrue(m.path("readOnly").asBoolean(false), file + ": " + root + " must be mounted read-only");
                }
            }
            assertTrue(mounted, file + ": --root=" + root + " is not a TaskManager volume mount");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {STREAMING, BACKFILL})
    void everyVolumeMountHasAVolume(String file) {
        JsonNode pod = DeployFiles.single(file).at("/spec/taskManager/podTemplate/spec");
        Set<String> volumes = new HashSet<>();
        pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
        Set<String> mounted = new HashSet<>();
        pod.at("/containers/0/volumeMounts").forEach(m -> mounted.add(m.path("name").asText()));
        assertEquals(volumes, mounted, file);
        // The GPU TaskManagers never talk to the network for DJL natives.
        Set<String> env = new HashSet<>();
        pod.at("/containers/0/env").forEach(e -> env.add(e.path("name").asText() + "=" + e.path("value").asText()));
        assertTrue(env.containsAll(Set.of("DJL_OFFLINE=true", "OPT_OUT_TRACKING=true")), env::toString);
    }

    @Test
    void localClusterRunsTheSameStateAndClassloadingSetup() {
        Map<String, String> local = FlinkConfigurationTest.localConfig();
        Map<String, String> prod = FlinkConfigurationTest.flinkConfiguration(STREAMING);
        for (String k : List.of("state.backend.type", "execution.checkpointing.incremental", "execution.checkpointing.mode", "execution.checkpointing.unaligned.enabled",
                "execution.checkpointing.externalized-checkpoint-retention", "classloader.parent-first-patterns.additional",
                "restart-strategy.type", "jobmanager.execution.failover-strategy")) {
            assertEquals(prod.get(k), local.get(k), k);
        }
        assertTrue(local.get("execution.checkpointing.dir").startsWith("file://"));
        for (String k : List.of("jobmanager.bind-host", "taskmanager.bind-host", "rest.bind-address", "jobmanager.rpc.address")) {
            assertEquals("127.0.0.1", local.get(k), k + ": the local cluster listens on loopback only");
        }
        assertNotEquals(null, local.get("rest.port"));
    }

    private static List<String> args(JsonNode d) {
        List<String> out = new ArrayList<>();
        d.at("/spec/job/args").forEach(a -> out.add(a.asText()));
        return out;
    }
}
