package io.scanline.deploy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FlinkDeployment manifests against the operator's CRD schema (see {@link OperatorCrd}). */
class FlinkDeploymentSchemaTest {
    private static final OperatorCrd CRD = OperatorCrd.flinkDeployment(true);

    @ParameterizedTest
    @ValueSource(strings = {"k8s/scanline-streaming.yaml", "k8s/scanline-backfill.yaml"})
    void manifestMatchesTheOperatorSchema(String file) {
        ObjectNode d = DeployFiles.single(file);
        assertEquals("flink.apache.org/" + OperatorCrd.VERSION, d.path("apiVersion").asText(), file);
        assertEquals("FlinkDeployment", d.path("kind").asText(), file);
        assertEquals(Set.of(), CRD.validate(d), file);
    }

    @Test
    void unpatchedOperatorSchemaRejectsFlink22_soThePatchIsTheOnlyDifference() {
        ObjectNode d = DeployFiles.single("k8s/scanline-streaming.yaml");
        Set<String> errors = OperatorCrd.flinkDeployment(false).validate(d);
        assertEquals(1, errors.size(), errors::toString);
        assertTrue(errors.iterator().next().contains("flinkVersion"), errors::toString);
    }

    // ---- negative cases: each mutation of a valid manifest must be rejected, naming the field ----

    private static ObjectNode streaming() {
        return DeployFiles.copy(DeployFiles.single("k8s/scanline-streaming.yaml"));
    }

    private static void assertRejected(ObjectNode broken, String fieldInMessage) {
        Set<String> errors = CRD.validate(broken);
        assertFalse(errors.isEmpty(), "a broken manifest passed validation");
        assertTrue(errors.stream().anyMatch(m -> m.contains(fieldInMessage)),
                () -> "no message names " + fieldInMessage + ": " + errors);
    }

    @Test
    void rejectsAMisspelledSpecField() {
        ObjectNode d = streaming();
        ObjectNode spec = (ObjectNode) d.get("spec");
        spec.set("taskManger", spec.remove("taskManager"));
        assertRejected(d, "taskManger");
    }

    @Test
    void rejectsAnUnknownFlinkVersion() {
        ObjectNode d = streaming();
        ((ObjectNode) d.get("spec")).put("flinkVersion", "v2_99");
        assertRejected(d, "flinkVersion");
    }

    @Test
    void rejectsAWrongTypeInTheJobSpec() {
        ObjectNode d = streaming();
        ((ObjectNode) d.get("spec").get("job")).put("parallelism", "four");
        assertRejected(d, "parallelism");
    }

    @Test
    void rejectsANonStringFlinkConfigurationValue() {
        ObjectNode d = streaming();
        ((ObjectNode) d.get("spec").get("flinkConfiguration")).put("taskmanager.numberOfTaskSlots", 1);
        assertRejected(d, "taskmanager.numberOfTaskSlots");
    }

    @Test
    void rejectsAMisspelledFieldDeepInsideThePodTemplate() {
        ObjectNode d = streaming();
        ObjectNode container = (ObjectNode) ((ArrayNode) d.at("/spec/taskManager/podTemplate/spec/containers")).get(0);
        container.set("resource", container.remove("resources"));
        assertRejected(d, "resource");
    }

    @Test
    void rejectsAnUnknownUpgradeMode() {
        ObjectNode d = streaming();
        ((ObjectNode) d.get("spec").get("job")).put("upgradeMode", "whenever");
        assertRejected(d, "upgradeMode");
    }
}
