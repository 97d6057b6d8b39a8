package io.scanline.connectors.results;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** COCO results layout, and result records: inline when small, by reference when large, tampering detected. */
class CocoAndRecordTest {
    @TempDir
    Path dir;

    @Test
    void cocoHasXywhBoxesCategoriesAndMpp() {
        ResultImage img = new ResultImage("s1", "slide.svs", 2220, 2967, 0.499, null);
        JsonNode root = CocoJson.build(img, List.of("nucleus", "mitosis"),
                List.of(new Detection(10.5, 20, 30.5, 50, 0.75, "mitosis"), new Detection(0, 0, 4, 4, 0.6, "nucleus")));
        JsonNode a = root.at("/annotations/0");
        assertEquals(2, a.get("category_id").asInt(), "ids from 1 in the given order");
        assertEquals(List.of(10.5, 20.0, 20.0, 30.0), List.of(a.get("bbox").get(0).asDouble(), a.get("bbox").get(1).asDouble(),
                a.get("bbox").get(2).asDouble(), a.get("bbox").get(3).asDouble()));
        assertEquals(600.0, a.get("area").asDouble());
        assertEquals(0.499, root.at("/images/0/microns_per_pixel").asDouble());
        assertEquals(2, root.get("annotations").size());
        assertThrows(IllegalArgumentException.class, () -> CocoJson.build(img, List.of("nucleus"), List.of(new Detection(0, 0, 1, 1, 0.5, "tumour"))));
    }

    @Test
    void smallResultsGoInlineLargeOnesByReference() throws IOException {
        Path small = Files.write(dir.resolve("small.json"), "{\"a\":1}".getBytes());
        ResultRecord r = ResultRecord.forFile("img-1", "detections-coco", "application/json", small, 1024, null);
        assertNull(r.uri());
        ResultRecord back = ResultRecord.fromJson(r.toJson());
        assertArrayEquals(Files.readAllBytes(small), back.inline());
        assertEquals(r.sha256(), back.sha256());
        assertArrayEquals("img-1".getBytes(), back.key());

        byte[] big = new byte[5000];
        new java.util.Random(2).nextBytes(big);
        Path large = Files.write(dir.resolve("mask.tif"), big);
        ResultRecord ref = ResultRecord.forFile("img-1", "mask", "image/tiff", large, 1024,
                CocoJson.JSON.createObjectNode().put("width", 10));
        assertNotNull(ref.uri());
        assertTrue(ref.toJson().length < 1024, "a reference record stays small");
        ResultRecord refBack = ResultRecord.fromJson(ref.toJson());
        assertEquals(ref.uri(), refBack.uri());
        assertEquals(5000, refBack.bytes());
        assertEquals(10, refBack.summary().get("width").asInt());
        assertEquals(ResultRecord.sha256(large), refBack.sha256());

        String tampered = new String(r.toJson()).replace("\"bytes\":7", "\"bytes\":8");
        assertThrows(IOException.class, () -> ResultRecord.fromJson(tampered.getBytes()));
        // the Kafka serde round-trips and turns a bad value into Kafka's SerializationException
        byte[] wire = new ResultRecordSerde.RecordSerializer().serialize("results", ref);
        assertEquals(ref.uri(), new ResultRecordSerde.RecordDeserializer().deserialize("results", wire).uri());
        assertThrows(org.apache.kafka.common.errors.SerializationException.class,
                () -> new ResultRecordSerde.RecordDeserializer().deserialize("results", tampered.getBytes()));
    }
}
