package io.scanline.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Flink Kubernetes Operator's CRD schemas (openAPIV3Schema), as shipped in
 * {@code flink-kubernetes-operator-api} ({@code META-INF/fabric8/*.yml}), turned into JSON-schema
 * validators that behave like the API server with strict field validation ({@code kubectl apply}'s
 * default since Kubernetes 1.25):
 * <ul>
 *   <li>an object schema that lists {@code properties} and neither {@code additionalProperties} nor
 *       {@code x-kubernetes-preserve-unknown-fields} rejects other fields (the server rejects unknown
 *       fields instead of pruning them);</li>
 *   <li>{@code x-kubernetes-*} markers and OpenAPI {@code format}s are dropped (annotations for the
 *       server, not constraints a JSON-schema validator knows).</li>
 * </ul>
 * One deliberate difference, {@link #FLINK_2_VERSIONS}: the newest operator API on Maven Central here
 * is 1.10.0, whose {@code flinkVersion} enum ends at v1_20. Operators that run Flink 2.x list
 * v2_0, v2_1, v2_2 in the same enum; we add exactly those values and nothing else, and a test shows
 * the unpatched schema rejects v2_2, so the patch is visible, not silent.
 */
final class OperatorCrd {
    static final String VERSION = "v1beta1";
    static final List<String> FLINK_2_VERSIONS = List.of("v2_0", "v2_1", "v2_2");

    private final JsonSchema schema;
    private final JsonNode rawSchema;

    private OperatorCrd(JsonNode openApiSchema) {
        this.rawSchema = openApiSchema;
        ObjectNode root = openApiSchema.deepCopy();
        // The server adds these to every CRD schema; metadata itself is checked as an ObjectMeta elsewhere.
        ObjectNode props = (ObjectNode) root.path("properties");
        props.putObject("apiVersion").put("type", "string");
        props.putObject("kind").put("type", "string");
        props.putObject("metadata").put("type", "object");
        ArrayNode required = root.withArray("required");
        required.add("apiVersion").add("kind").add("metadata");
        JsonNode strict = strict(root);
        this.schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(strict);
    }

    static OperatorCrd flinkDeployment(boolean withFlink2Versions) {
        ObjectNode s = openApiSchema("META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml");
        if (withFlink2Versions) addFlink2Versions(s);
        return new OperatorCrd(s);
    }

    static OperatorCrd flinkSessionJob() {
        return new OperatorCrd(openApiSchema("META-INF/fabric8/flinksessionjobs.flink.apache.org-v1.yml"));
    }

    JsonNode rawSchema() {
        return rawSchema;
    }

    /** Validation messages, sorted; empty when the resource is valid. */
    Set<String> validate(JsonNode resource) {
        Set<String> out = new TreeSet<>();
        for (ValidationMessage m : schema.validate(resource)) out.add(m.getMessage());
        return out;
    }

    private static ObjectNode openApiSchema(String resource) {
        JsonNode crd;
        try (InputStream in = OperatorCrd.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("CRD " + resource + " not on the test classpath (flink-kubernetes-operator-api)");
            crd = DeployFiles.YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!"CustomResourceDefinition".equals(crd.path("kind").asText())) {
            throw new IllegalStateException(resource + " is not a CustomResourceDefinition");
        }
        for (JsonNode v : crd.path("spec").path("versions")) {
            if (VERSION.equals(v.path("name").asText())) {
                JsonNode s = v.path("schema").path("openAPIV3Schema");
                if (!s.isObject()) throw new IllegalStateException(resource + ": version " + VERSION + " has no openAPIV3Schema");
                if (!v.path("served").asBoolean()) throw new IllegalStateException(resource + ": version " + VERSION + " is not served");
                return (ObjectNode) s;
            }
        }
        throw new IllegalStateException(resource + " has no version " + VERSION);
    }

    private static void addFlink2Versions(ObjectNode schema) {
        JsonNode e = schema.path("properties").path("spec").path("properties").path("flinkVersion").path("enum");
        if (!e.isArray()) throw new IllegalStateException("CRD layout changed: no spec.flinkVersion enum");
        ArrayNode values = (ArrayNode) e;
        for (String v : FLINK_2_VERSIONS) {
            boolean present = false;
            for (JsonNode x : values) present |= x.asText().equals(v);
            if (!present) values.add(v);
        }
    }

    /** Makes the schema reject unknown fields and drops markers a JSON-schema validator does not know. */
    private static JsonNode strict(JsonNode node) {
        if (node.isArray()) {
            for (JsonNode n : node) strict(n);
            return node;
        }
        if (!node.isObject()) return node;
        ObjectNode o = (ObjectNode) node;
        boolean preserve = o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().startsWith("x-kubernetes-") || (f.getKey().equals("format") && f.getValue().isTextual())) {
                it.remove();
            }
        }
        if (o.has("properties") && o.get("properties").isObject()) {
            // "properties" maps field names to schemas: recurse into each schema, not into the map itself.
            o.get("properties").fields().forEachRemaining(f -> strict(f.getValue()));
            if (!o.has("additionalProperties") && !preserve) o.put("additionalProperties", false);
        }
        for (String k : List.of("items", "additionalProperties", "anyOf", "allOf", "oneOf", "not")) {
            if (o.has(k)) strict(o.get(k));
        }
        return o;
    }
}
