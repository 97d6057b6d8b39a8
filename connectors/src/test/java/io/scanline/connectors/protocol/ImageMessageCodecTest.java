package io.scanline.connectors.protocol;

import io.scanline.connectors.image.Region;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageMessageCodecTest {
    private static RejectReason reason(byte[] b) {
        return assertThrows(IngestException.class, () -> ImageMessageCodec.decode(b)).reason();
    }

    private static RejectReason reason(String json) {
        return reason(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void referenceRoundTrip() throws IngestException {
        ImageReference r = new ImageReference("slide-42", "file:/data/slides/a.svs", "ab".repeat(32), 123L,
                null, 0.5, null, new Region(1, 2, 300, 400), Map.of("model", "defocus_mamba", "patch", "16"));
        ImageMessage back = ImageMessageCodec.decode(ImageMessageCodec.encode(r));
        assertEquals(r, back);
        ImageReference minimal = ImageReference.of("x", "/a/b.tif");
        assertEquals(minimal, ImageMessageCodec.decode(ImageMessageCodec.encode(minimal)));
    }

    @Test
    void referenceValidation() {
        String ok = "{\"v\":1,\"type\":\"reference\",\"imageId\":\"a\",\"uri\":\"/x.tif\"}";
        assertInstanceOf(ImageReference.class, assertDoesDecode(ok));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("\"v\":1", "\"v\":2")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("\"v\":1,", "")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("}", ",\"extra\":1}")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("\"a\"", "\"a b\"")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("\"/x.tif\"", "\"\"")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("}", ",\"level\":1,\"targetMpp\":0.5}")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("}", ",\"sha256\":\"ABC\"}")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("}", ",\"level\":-1}")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("}", ",\"targetMpp\":0}")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("}", ",\"region\":{\"x\":0,\"y\":0,\"width\":0,\"height\":5}}")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.replace("}", ",\"params\":{\"a\":1}}")));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(ok.substring(0, 20)));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason("[1,2]"));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason("{" + "\"a\":{".repeat(50) + "}".repeat(51)));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(new byte[0]));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(new byte[]{1, 2, 3}));
    }

    private static ImageMessage assertDoesDecode(String s) {
        try {
            return ImageMessageCodec.decode(s.getBytes(StandardCharsets.UTF_8));
        } catch (IngestException e) {
            throw new AssertionError(e.oneLine());
        }
    }

    @Test
    void inlineRoundTrips() throws IngestException {
        byte[] payload = new byte[1000];
        new Random(1).nextBytes(payload);
        InlineTile t = (InlineTile) ImageMessageCodec.decode(ImageMessageCodec.encode(new InlineTile("img", 3, 9000, payload)));
        assertEquals(3, t.seq());
        assertEquals(9000, t.offset());
        assertArrayEquals(payload, t.payload());
        InlineHeader h = new InlineHeader("img", 12345, "a.svs", Map.of("model", "vim"));
        assertEquals(h, ImageMessageCodec.decode(ImageMessageCodec.encode(h)));
        byte[] sha = new byte[32];
        sha[5] = 9;
        InlineEnd e = (InlineEnd) ImageMessageCodec.decode(ImageMessageCodec.encode(new InlineEnd("img", 4, 12345, sha)));
        assertEquals(4, e.records());
        assertArrayEquals(sha, e.sha256());
        // A full-size tile stays under the record limit.
        byte[] big = ImageMessageCodec.encode(new InlineTile("img", 0, 0, new byte[ImageMessageCodec.DEFAULT_TILE_PAYLOAD]));
        assertTrue(big.length <= ImageMessageCodec.MAX_RECORD_BYTES);
        assertThrows(IllegalArgumentException.class, () -> ImageMessageCodec.encode(new InlineTile("img", 0, 0, new byte[1 << 20])));
    }

    @Test
    void inlineCorruption() {
        byte[] good = ImageMessageCodec.encode(new InlineTile("img", 0, 0, new byte[]{1, 2, 3, 4}));
        for (int i = 6; i < good.length - 4; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x40;
            RejectReason r = reason(bad);
            assertTrue(r == RejectReason.CHECKSUM_MISMATCH || r == RejectReason.PROTOCOL_VIOLATION, "flipped byte " + i + ": " + r);
        }
        byte[] flippedPayload = good.clone();
        flippedPayload[good.length - 6] ^= 1;
        assertEquals(RejectReason.CHECKSUM_MISMATCH, reason(flippedPayload));
        for (int n = 0; n < good.length; n++) {
            RejectReason r = reason(Arrays.copyOf(good, n));
            assertTrue(r == RejectReason.CHECKSUM_MISMATCH || r == RejectReason.PROTOCOL_VIOLATION, "truncated to " + n + ": " + r);
        }
        byte[] wrongVersion = good.clone();
        wrongVersion[4] = 2;
        assertEquals(RejectReason.PROTOCOL_VIOLATION, reason(wrongVersion));
        // An appended byte moves the CRC field, so the stored CRC no longer matches.
        assertEquals(RejectReason.CHECKSUM_MISMATCH, reason(Arrays.copyOf(good, good.length + 1)));
    }

    @Test
    void deserializerNeverThrowsAndChecksTheKey() {
        ImageMessage m = ImageMessageDeserializer.decode("k".getBytes(StandardCharsets.UTF_8), new byte[]{'S', 'L', 'I', 'M', 1});
        assertInstanceOf(MalformedMessage.class, m);
        assertEquals("k", m.imageId());
        byte[] tile = ImageMessageCodec.encode(new InlineTile("img", 0, 0, new byte[]{1}));
        MalformedMessage wrongKey = assertInstanceOf(MalformedMessage.class, ImageMessageDeserializer.decode("other".getBytes(StandardCharsets.UTF_8), tile));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, wrongKey.error().reason());
        assertInstanceOf(InlineTile.class, ImageMessageDeserializer.decode("img".getBytes(StandardCharsets.UTF_8), tile));
        assertInstanceOf(MalformedMessage.class, new ImageMessageDeserializer().deserialize("t", null));
    }
}
