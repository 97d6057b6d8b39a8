package io.scanline.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Core Kubernetes objects against the typed Kubernetes model (fabric8, generated from the Kubernetes
 * OpenAPI spec): rbac.yaml, the metadata of every resource, and the pod templates inside the
 * FlinkDeployments (checked twice: once by the operator CRD, once here as real Pods).
 */
class KubernetesObjectsTest {
    private static final Map<String, Class<?>> KINDS = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "rbac.authorization.k8s.io/v1/Role", Role.class,
            "rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class);

    static List<String> problems(JsonNode resource) {
        String key = resource.path("apiVersion").asText() + "/" + resource.path("kind").asText();
        Class<?> type = KINDS.get(key);
        if (type == null) return List.of("no model for " + key);
        return StrictModel.problems(resource, type);
    }

    @Test
    void rbacObjectsMapOntoTheKubernetesModel() {
        List<ObjectNode> docs = DeployFiles.documents("k8s/rbac.yaml");
        assertEquals(4, docs.size(), "Namespace, ServiceAccount, Role, RoleBinding");
        for (ObjectNode d : docs) assertEquals(List.of(), problems(d), d.path("kind").asText());
    }

    @Test
    void roleBindingPointsAtTheRoleAndServiceAccountThatExist() {
        List<ObjectNode> docs = DeployFiles.documents("k8s/rbac.yaml");
        JsonNode binding = docs.stream().filter(d -> d.path("kind").asText().equals("RoleBinding")).findFirst().orElseThrow();
        String role = docs.stream().filter(d -> d.path("kind").asText().equals("Role")).findFirst().orElseThrow().at("/metadata/name").asText();
        String sa = docs.stream().filter(d -> d.path("kind").asText().equals("ServiceAccount")).findFirst().orElseThrow().at("/metadata/name").asText();
        assertEquals(role, binding.at("/roleRef/name").asText());
        assertEquals(sa, binding.at("/subjects/0/name").asText());
        for (String f : List.of("k8s/scanline-streaming.yaml", "k8s/scanline-backfill.yaml")) {
            assertEquals(sa, DeployFiles.single(f).at("/spec/serviceAccount").asText(), f + " runs as the account rbac.yaml grants");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"k8s/scanline-streaming.yaml", "k8s/scanline-backfill.yaml", "k8s/kafka-topics.yaml"})
    void everyResourceHasValidMetadata(String file) {
        for (ObjectNode d : DeployFiles.documents(file)) {
            assertEquals(List.of(), StrictModel.problems(d.get("metadata"), ObjectMeta.class), file);
            assertTrue(d.at("/metadata/name").asText().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"), file + ": DNS-1123 name");
            assertEquals("scanline", d.at("/metadata/namespace").asText(), file);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/spec/jobManager/podTemplate", "/spec/taskManager/podTemplate"})
    void podTemplatesAreValidPods(String pointer) {
        for (String f : List.of("k8s/scanline-streaming.yaml", "k8s/scanline-backfill.yaml")) {
            JsonNode pod = DeployFiles.single(f).at(pointer);
            assertTrue(pod.isObject(), f + pointer);
            assertEquals(List.of(), StrictModel.problems(pod, Pod.class), f + pointer);
            // The operator merges its settings into the container of this exact name only.
            for (JsonNode c : pod.at("/spec/containers")) assertEquals("flink-main-container", c.path("name").asText(), f + pointer);
        }
    }

    @Test
    void rejectsAMisspelledRuleField() {
        ObjectNode role = DeployFiles.documents("k8s/rbac.yaml").stream()
                .filter(d -> d.path("kind").asText().equals("Role")).findFirst().orElseThrow().deepCopy();
        ObjectNode rule = (ObjectNode) ((ArrayNode) role.get("rules")).get(0);
        rule.set("verb", rule.remove("verbs"));
        List<String> p = problems(role);
        assertFalse(p.isEmpty());
        assertTrue(p.toString().contains("verb"), p::toString);
    }

    @Test
    void rejectsAWrongTypeInAPodTemplate() {
        ObjectNode pod = DeployFiles.single("k8s/scanline-streaming.yaml").at("/spec/taskManager/podTemplate").deepCopy();
        ((ObjectNode) pod.at("/spec/containers/0")).put("ports", "9249");
        assertFalse(StrictModel.problems(pod, Pod.class).isEmpty());
    }

    @Test
    void rejectsAMisspelledVolumeSource() {
        ObjectNode pod = DeployFiles.single("k8s/scanline-streaming.yaml").at("/spec/taskManager/podTemplate").deepCopy();
        ObjectNode vol = (ObjectNode) pod.at("/spec/volumes/0");
        vol.set("emptydir", vol.remove("emptyDir"));
        List<String> p = StrictModel.problems(pod, Pod.class);
        assertTrue(p.toString().contains("emptydir"), p::toString);
    }
}
