package io.scanline.deploy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka topics as code: the Strimzi KafkaTopic resources map onto Strimzi's own model (from which
 * Strimzi generates its CRD) with no unknown field, use an API version Strimzi serves, and declare
 * exactly the partitions/retention/size limits of deploy/kafka/topics.conf (the local cluster's list).
 */
class KafkaTopicsTest {
    record Topic(String name, int partitions, long retentionMs, long maxMessageBytes) {}

    static Map<String, Topic> topicsConf(String text) {
        Map<String, Topic> out = new LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] f = l.split("\\s+");
            if (f.length != 4) throw new IllegalArgumentException("topics.conf: expected 4 columns: " + line);
            out.put(f[0], new Topic(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])));
        }
        return out;
    }

    static Map<String, Topic> strimziTopics(List<ObjectNode> docs) {
        Map<String, Topic> out = new LinkedHashMap<>();
        for (ObjectNode d : docs) {
            String name = d.at("/spec/topicName").asText(d.at("/metadata/name").asText());
            out.put(name, new Topic(name, d.at("/spec/partitions").asInt(),
                    d.at("/spec/config/retention.ms").asLong(), d.at("/spec/config/max.message.bytes").asLong()));
        }
        return out;
    }

    /** Differences between the two declarations, one line each; empty when they agree. */
    static List<String> drift(Map<String, Topic> conf, Map<String, Topic> strimzi) {
        List<String> out = new ArrayList<>();
        for (Topic t : conf.values()) {
            Topic s = strimzi.get(t.name());
            if (s == null) out.add(t.name() + ": in topics.conf, not in kafka-topics.yaml");
            else if (!s.equals(t)) out.add(t.name() + ": topics.conf " + t + " vs kafka-topics.yaml " + s);
        }
        for (String n : strimzi.keySet()) if (!conf.containsKey(n)) out.add(n + ": in kafka-topics.yaml, not in topics.conf");
        return out;
    }

    @Test
    void topicResourcesMapOntoStrimzisModel() {
        List<ObjectNode> docs = DeployFiles.documents("k8s/kafka-topics.yaml");
        assertEquals(3, docs.size());
        for (ObjectNode d : docs) {
            String version = d.path("apiVersion").asText();
            assertEquals(KafkaTopic.RESOURCE_GROUP, version.substring(0, version.indexOf('/')));
            assertTrue(KafkaTopic.VERSIONS.contains(version.substring(version.indexOf('/') + 1)), version + " not in " + KafkaTopic.VERSIONS);
            assertEquals(KafkaTopic.RESOURCE_KIND, d.path("kind").asText());
            assertEquals(List.of(), StrictModel.problems(d, KafkaTopic.class), d.at("/metadata/name").asText());
            assertFalse(d.at("/metadata/labels/strimzi.io~1cluster").asText().isEmpty(), "the topic operator only acts on labelled topics");
            // One broker may fail without blocking acknowledged (acks=all) writes.
            assertTrue(d.at("/spec/replicas").asInt() >= 3);
            assertEquals(d.at("/spec/replicas").asInt() - 1, d.at("/spec/config/min.insync.replicas").asInt());
        }
    }

    @Test
    void strimziTopicsEqualTopicsConf() {
        Map<String, Topic> conf = topicsConf(DeployFiles.text("kafka/topics.conf"));
        assertEquals(List.of("images", "results", "dead-letters"), List.copyOf(conf.keySet()));
        assertEquals(List.of(), drift(conf, strimziTopics(DeployFiles.documents("k8s/kafka-topics.yaml"))));
    }

    @Test
    void deadLetterHoldsTheLargestInputWithItsReason() {
        Map<String, Topic> conf = topicsConf(DeployFiles.text("kafka/topics.conf"));
        assertTrue(conf.get("dead-letters").maxMessageBytes() > conf.get("images").maxMessageBytes());
    }

    @Test
    void driftIsReported() {
        Map<String, Topic> conf = topicsConf(DeployFiles.text("kafka/topics.conf"));
        List<ObjectNode> docs = DeployFiles.documents("k8s/kafka-topics.yaml");
        ((ObjectNode) docs.get(0).at("/spec")).put("partitions", 7);
        List<String> d = drift(conf, strimziTopics(docs));
        assertEquals(1, d.size(), d::toString);
        assertTrue(d.get(0).startsWith("images:"), d::toString);
        assertEquals(2, drift(topicsConf("images 12 1 1\nextra 1 1 1\n"), Map.of("images", new Topic("images", 12, 1, 1), "other", new Topic("other", 1, 1, 1))).size());
    }

    @Test
    void rejectsAMisspelledTopicField() {
        ObjectNode d = DeployFiles.documents("k8s/kafka-topics.yaml").get(0).deepCopy();
        ObjectNode spec = (ObjectNode) d.get("spec");
        spec.set("partition", spec.remove("partitions"));
        assertTrue(StrictModel.problems(d, KafkaTopic.class).toString().contains("partition"));
    }
}
