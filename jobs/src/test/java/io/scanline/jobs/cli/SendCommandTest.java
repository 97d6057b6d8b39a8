package io.scanline.jobs.cli;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.protocol.AssemblyResult;
import io.scanline.connectors.protocol.ImageMessage;
import io.scanline.connectors.protocol.ImageMessageCodec;
import io.scanline.connectors.protocol.ImageReference;
import io.scanline.connectors.protocol.InlineAssembler;
import io.scanline.connectors.protocol.InlineEnd;
import io.scanline.connectors.protocol.InlineHeader;
import io.scanline.connectors.protocol.InlineTile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code scanline send} without a broker: the messages it builds per file, and its input checks. */
class SendCommandTest {
    @TempDir Path tmp;

    private Path file(String name, int size) throws Exception {
        byte[] b = new byte[size];
        new Random(42).nextBytes(b);
        return Files.write(tmp.resolve(name), b);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static List<ImageMessage> messages(Path f, boolean inline) throws Exception {
        List<ImageMessage> out = new ArrayList<>();
        SendCommand.messages(f, inline, out::add);
        return out;
    }

    @Test
    void referenceHasAbsoluteFileUriShaAndSize() throws Exception {
        Path f = file("slide-1.tif", 123_457);
        // a relative path (from the working directory) must still give an absolute URI
        Path rel = Path.of("").toAbsolutePath().relativize(f);
        assertTrue(!rel.isAbsolute());
        List<ImageMessage> ms = messages(rel, false);
        assertEquals(1, ms.size());
        ImageReference r = assertInstanceOf(ImageReference.class, ms.get(0));
        assertEquals("slide-1.tif", r.imageId());
        assertEquals("slide-1.tif", SendCommand.imageId(rel));
        URI u = URI.create(r.uri());
        assertTrue(u.isAbsolute(), r.uri());
        assertEquals("file", u.getScheme());
        assertEquals(f.toAbsolutePath().normalize(), Path.of(u));
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(sha256(bytes), r.sha256());
        assertEquals(bytes.length, r.sizeBytes().longValue());
        // and it survives the wire format unchanged
        assertEquals(r, ImageMessageCodec.decode(ImageMessageCodec.encode(r)));
    }

    @Test
    void inlineRecordsFitOneMibAndReassembleByteExactly() throws Exception {
        int size = 3 * ImageMessageCodec.DEFAULT_TILE_PAYLOAD + 12_345;   // 3 full tiles and a short one
        Path f = file("big.tiff", size);
        List<ImageMessage> ms = messages(f, true);
        assertEquals(4 + 2, ms.size());
        assertInstanceOf(InlineHeader.class, ms.get(0));
        assertInstanceOf(InlineEnd.class, ms.get(ms.size() - 1));
        try (InlineAssembler asm = new InlineAssembler(tmp.resolve("spool"), 64L << 20, 8)) {
            AssemblyResult last = null;
            for (ImageMessage m : ms) {
                assertEquals("big.tiff", m.imageId());
                byte[] wire = ImageMessageCodec.encode(m);
                assertTrue(wire.length <= ImageMessageCodec.MAX_RECORD_BYTES, "record of " + wire.length + " bytes");
                if (m instanceof InlineTile t) assertTrue(t.payload().length <= ImageMessageCodec.DEFAULT_TILE_PAYLOAD);
                last = asm.accept(ImageMessageCodec.decode(wire));
            }
            AssemblyResult.Completed done = assertInstanceOf(AssemblyResult.Completed.class, last, String.valueOf(last));
            byte[] original = Files.readAllBytes(f);
            assertArrayEquals(original, Files.readAllBytes(done.file()));
            assertEquals(size, done.sizeBytes());
            assertEquals(sha256(original), done.sha256Hex());
        }
    }

    @Test
    void badImageIdAndMissingFileAreRejectedBeforeAnySend() throws Exception {
        Path good = file("ok.png", 10);
        Path bad = file("bad name!.png", 10);
        IngestException e = assertThrows(IngestException.class, () -> SendCommand.checkFiles(List.of(good, bad)));
        assertEquals(RejectReason.PROTOCOL_VIOLATION, e.reason());
        assertThrows(IllegalArgumentException.class, () -> SendCommand.checkFiles(List.of(tmp.resolve("absent.png"))));
        SendCommand.checkFiles(List.of(good));   // a valid one passes
        // through the CLI: fails without touching the (unreachable) broker
        int rc = new CommandLine(new SendCommand()).execute("--bootstrap", "127.0.0.1:1", "--timeout-s", "1", bad.toString());
        assertNotEquals(0, rc);
    }
}
