package io.scanline.jobs.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.stream.ImageHeader;
import io.scanline.kernels.stream.ImageScan;
import io.scanline.kernels.stream.ScanEngine;
import io.scanline.kernels.stream.ScanEngines;
import io.scanline.kernels.tensor.Tensor;
import io.scanline.operators.ChunkRecord;
import io.scanline.operators.ImageChunker;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The job graph on an embedded mini cluster over real files: a 112×80 crop of the bundled IHC image
 * (7×5 patches, odd on purpose) and a corrupt JPEG. Results must equal the engine run directly on the
 * whole image bit for bit (same per-token arithmetic of the reference backend for every chunking and
 * batch), in streaming, batch and per-tile modes; the corrupt file becomes one dead letter.
 */
class LocalRunITCase {
    static final Path SHARED = Path.of(System.getProperty("scanline.shared", "../shared"));
    static final Path MODEL = SHARED.resolve("golden/defocus_mamba_d3_224x224");
    @TempDir
    static Path tmp;
    static Path in;
    static ScanEngine engine;

    @BeforeAll
    static void setUp() throws Exception {
        in = Files.createDirectories(tmp.resolve("in"));
        BufferedImage ihc = ImageIO.read(SHARED.resolve("testdata/pathology/ihc.png").toFile());
        BufferedImage crop = new BufferedImage(112, 80, BufferedImage.TYPE_INT_RGB);
        crop.getGraphics().drawImage(ihc.getSubimage(200, 150, 112, 80), 0, 0, null);
        ImageIO.write(crop, "png", in.resolve("ihc-crop.png").toFile());
        Files.copy(SHARED.resolve("testdata/corrupt/broken-sos-before-sof.jpg"), in.resolve("broken.jpg"));
        engine = ScanEngines.load(MODEL, new ReferenceBackend());
    }

    /** Logits of each (sub-)image, computed by the engine directly in one chunk per image. */
    static Map<String, float[]> direct(int tiles) throws Exception {
        Map<String, float[]> out = new HashMap<>();
        List<ChunkRecord> recs = new ArrayList<>();
        new ImageChunker(16, 1 << 20, tiles).chunk("ihc-crop.png", in.resolve("ihc-crop.png").toString(), recs::add);
        for (ChunkRecord r : recs) {
            ImageScan s = engine.open(new ImageHeader(r.imageId, r.gridH, r.gridW));
            s.accept(Tensor.of(r.pixels, r.patches(), 3, 16, 16));
            out.put(r.imageId, s.finish().logits());
        }
        return out;
    }

    static Map<String, float[]> written(Path out) throws Exception {
        Map<String, float[]> res = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        try (var files = Files.list(out)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                JsonNode n = json.readTree(f.toFile());
                float[] l = new float[n.get("logits").size()];
                for (int i = 0; i < l.length; i++) l[i] = n.get("logits").get(i).floatValue();
                res.put(n.get("image").asText(), l);
                assertEquals(n.get("grid_h").asInt(), n.get("patch_classes").size(), "class map has one row per patch row");
            }
        }
        return res;
    }

    static void assertSameResults(Map<String, float[]> want, Map<String, float[]> got) {
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(v, got.get(k), k));
    }

    static JobSettings settings() {
        return JobSettings.defaults(MODEL.toString(), 16).withChunk(4).withBundle(3).withParallelism(2).withEmitPatches(true);
    }

    @Test
    void streamingModeMatchesTheEngineAndDeadLettersTheCorruptFile() throws Exception {
        Path out = tmp.resolve("out-streaming");
        LocalRun.Summary s = LocalRun.run(settings(), in, out, false, false);
        assertEquals(1, s.results());
        assertEquals(1, s.deadLetters());
        assertEquals(35, s.tokens());
        assertSameResults(direct(0), written(out));
        List<String> dl = Files.readAllLines(out.resolve("dead-letters.jsonl"));
        assertEquals(1, dl.size());
        assertTrue(dl.get(0).contains("broken.jpg") && dl.get(0).contains("\"reason_code\":\"MALFORMED\""), dl.get(0));
    }

    @Test
    void batchModeGivesTheSameResults() throws Exception {
        Path out = tmp.resolve("out-batch");
        LocalRun.Summary s = LocalRun.run(settings().withBundle(1), in, out, true, false);
        assertEquals(1, s.results());
        assertSameResults(direct(0), written(out));
    }

    @Test
    void perTileModeProducesOneResultPerTile() throws Exception {
        Path out = tmp.resolve("out-tiles");
        LocalRun.Summary s = LocalRun.run(settings().withTiles(3), in, out, false, false);
        Map<String, float[]> want = direct(3);
        assertEquals(6, want.size(), "7x5 patches in tiles of 3x3: 3 x 2 tiles");
        assertEquals(6, s.results());
        assertSameResults(want, written(out));
    }
}
