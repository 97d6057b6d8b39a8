package io.scanline.operators;

import io.scanline.connectors.protocol.ImageMessageCodec;
import io.scanline.connectors.protocol.ImageReference;
import io.scanline.connectors.protocol.InlineSplitter;
import io.scanline.connectors.uri.ClaimCheckResolver;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Protocol v1 messages through the ingest function: claim checks inside roots, inline images, and every rejection's code. */
class ImageMessageFunctionTest {
    @TempDir Path root;
    @TempDir Path outside;

    static Path png(Path dir, String name) throws Exception {
        BufferedImage img = new BufferedImage(40, 24, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, (x * 6 << 16) | (y * 9 << 8) | 100);
        Path p = dir.resolve(name);
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    static RawMessage msg(String id, byte[] value) {
        return new RawMessage(id.getBytes(StandardCharsets.UTF_8), value);
    }

    static byte[] ref(String id, Path f, String sha) throws Exception {
        return ImageMessageCodec.encode(new ImageReference(id, f.toUri().toString(), sha, Files.size(f), null, null, null, null, Map.of()));
    }

    @Test
    void resolvesReferencesAndInlineImagesAndDeadLettersTheRest() throws Exception {
        Path in = png(root, "a.png"), out = png(outside, "b.png");
        var fn = new ImageMessageFunction(new ImageChunker(8, 4, 0), List.of(root.toString()), root.resolve("spool").toString(), 1 << 20);
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(fn))) {
            h.open();
            h.processElement(msg("a", ref("a", in, ClaimCheckResolver.sha256Hex(in))), 0);
            h.processElement(msg("b", ref("b", out, null)), 0);                                  // outside every root
            h.processElement(msg("c", ref("c", in, "0".repeat(64))), 0);                         // wrong checksum
            h.processElement(msg("d", in.toString().getBytes(StandardCharsets.UTF_8)), 0);       // a plain path is not protocol v1
            List<byte[]> inline = new ArrayList<>();
            InlineSplitter.split("e", in, Map.of(), 1000, m -> inline.add(ImageMessageCodec.encode(m)));
            assertTrue(inline.size() > 3, "several tile records");
            for (byte[] v : inline) h.processElement(msg("e", v), 0);

            List<ChunkRecord> chunks = h.extractOutputValues();
            // 40x24 at ps 8: 3x5 = 15 patches in chunks of 4 -> 4 records per image, for a and e
            assertEquals(List.of("a", "a", "a", "a", "e", "e", "e", "e"), chunks.stream().map(r -> r.imageId).toList());
            for (int i = 0; i < 4; i++) assertArrayEquals(chunks.get(i).pixels, chunks.get(i + 4).pixels, "inline == by reference");
            Map<String, String> codes = new java.util.TreeMap<>();
            for (var r : h.getSideOutput(PatchifyFunction.DEAD_LETTERS)) codes.put(r.getValue().imageId, r.getValue().reasonCode);
            assertEquals(Map.of("b", "URI_NOT_ALLOWED", "c", "CHECKSUM_MISMATCH", "d", "PROTOCOL_VIOLATION"), codes);
            try (var left = Files.list(root.resolve("spool").resolve("subtask-0"))) {
                assertEquals(0, left.count(), "the assembled inline file is deleted after chunking");
            }
        }
    }
}
