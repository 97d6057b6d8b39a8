package io.scanline.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the files under test: the deploy/ folder, located by the system property {@code scanline.deploy}. */
final class DeployFiles {
    static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());

    private DeployFiles() {}

    static Path root() {
        String dir = System.getProperty("scanline.deploy");
        if (dir == null) throw new IllegalStateException("system property scanline.deploy (the deploy/ folder) is not set");
        Path root = Path.of(dir).toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("k8s"))) throw new IllegalStateException(root + " has no k8s/ folder");
        return root;
    }

    static Path file(String relative) {
        Path p = root().resolve(relative);
        if (!Files.isRegularFile(p)) throw new IllegalStateException("missing deployment file " + p);
        return p;
    }

    static String text(String relative) {
        try {
            return Files.readString(file(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All documents of a (multi-document) YAML file, empty documents dropped. */
    static List<ObjectNode> documents(String relative) {
        List<ObjectNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(file(relative).toFile())) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n == null || n.isNull() || n.isMissingNode()) continue;
                if (!n.isObject()) throw new IllegalStateException(relative + ": a document is not a mapping: " + n);
                docs.add((ObjectNode) n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(relative + ": " + e.getMessage(), e);
        }
        return docs;
    }

    static ObjectNode single(String relative) {
        List<ObjectNode> docs = documents(relative);
        if (docs.size() != 1) throw new IllegalStateException(relative + ": expected one document, found " + docs.size());
        return docs.get(0);
    }

    static ObjectNode copy(ObjectNode n) {
        return n.deepCopy();
    }

    static final ObjectMapper JSON = new ObjectMapper();
}
