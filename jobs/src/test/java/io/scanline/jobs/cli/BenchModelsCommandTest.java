package io.scanline.jobs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench-models writes one JSON object per family and size, with tokens/s and the counted operations. */
class BenchModelsCommandTest {
    @TempDir
    Path dir;

    @Test
    void jsonFileHasRatesAndOperations() throws Exception {
        Path json = dir.resolve("models.json");
        assertEquals(0, ScanlineCli.execute("bench-models", "--family", "vim", "--sizes", "32,48", "--chunk", "5",
                "--json-file", json.toString()));
        JsonNode arr = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, arr.size());
        for (JsonNode r : arr) {
            assertEquals("reference", r.get("backend").asText());
            assertEquals("vim", r.get("family").asText());
            assertTrue(r.get("tokens_per_s").asDouble() > 0, r.toString());
            assertTrue(r.get("gflop").asDouble() > 0 && r.get("tflop_per_s").asDouble() > 0, r.toString());
        }
        // 48² has more tokens than 32², so more operations
        assertTrue(arr.get(1).get("gflop").asDouble() > arr.get(0).get("gflop").asDouble());
    }

    @Test
    void aBatchCountsTheTokensOfEveryImageAndZeroImagesAreRejected() throws Exception {
        Path json = dir.resolve("batch.json");
        assertEquals(0, ScanlineCli.execute("bench-models", "--family", "vim", "--sizes", "32", "--chunk", "5", "--batch", "3",
                "--json-file", json.toString()));
        JsonNode r = new ObjectMapper().readTree(json.toFile()).get(0);
        assertEquals(3, r.get("batch").asInt());
        assertEquals(3 * 5, r.get("tokens").asInt(), r.toString());   // 2×2 patches + class token, per image
        assertTrue(ScanlineCli.execute("bench-models", "--family", "vim", "--sizes", "32", "--batch", "0") != 0);
    }
}
