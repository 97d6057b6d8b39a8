package io.scanline.connectors.protocol;

import io.scanline.connectors.ingest.RejectReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InlineAssemblerTest {
    @TempDir
    Path dir;

    private byte[] data;
    private List<ImageMessage> records;

    private void makeImage(int bytes, int payload) throws IOException {
        data = new byte[bytes];
        new Random(bytes).nextBytes(data);
        Path f = dir.resolve("src.bin");
        Files.write(f, data);
        records = new ArrayList<>();
        InlineSplitter.split("img-1", f, Map.of("model", "vim"), payload, records::add);
    }

    private InlineAssembler assembler(int maxPending) throws IOException {
        return new InlineAssembler(dir.resolve("spool"), 1 << 20, maxPending);
    }

    private AssemblyResult feed(InlineAssembler a, List<ImageMessage> ms) {
        AssemblyResult last = null;
        for (ImageMessage m : ms) {
            // Through the wire format, as a consumer would see them.
            last = a.accept(ImageMessageDeserializer.decode(m.imageId().getBytes(), ImageMessageCodec.encode(m)));
            if (!(last instanceof AssemblyResult.Pending)) {
                return last;
            }
        }
        return last;
    }

    private void assertCompleted(AssemblyResult r) throws IOException {
        AssemblyResult.Completed c = assertInstanceOf(AssemblyResult.Completed.class, r, r.toString());
        assertArrayEquals(data, Files.readAllBytes(c.file()), "byte-exact");
        assertEquals(data.length, c.sizeBytes());
        assertEquals("vim", c.header().params().get("model"));
    }

    @Test
    void inOrderIsByteExact() throws IOException {
        makeImage(10_000, 999);
        assertEquals(11 + 2, records.size());
        try (InlineAssembler a = assembler(4)) {
            assertCompleted(feed(a, records));
            assertEquals(0, a.inProgress());
        }
    }

    @Test
    void emptyFileAndSingleTile() throws IOException {
        makeImage(0, 10);
        try (InlineAssembler a = assembler(4)) {
            assertCompleted(feed(a, records));
        }
        makeImage(10, 10);
        try (InlineAssembler a = assembler(4)) {
            assertCompleted(feed(a, records));
        }
    }

    @Test
    void anyOrderWithinTheBufferIsReassembled() throws IOException {
        makeImage(5_000, 500);
        for (long seed = 0; seed < 20; seed++) {
            List<ImageMessage> shuffled = new ArrayList<>(records);
            Collections.shuffle(shuffled, new Random(seed));
            try (InlineAssembler a = assembler(64)) {
                assertCompleted(feed(a, shuffled));
            }
        }
    }

    @Test
    void exactDuplicatesAreIgnored() throws IOException {
        makeImage(3_000, 700);
        List<ImageMessage> dup = new ArrayList<>();
        for (ImageMessage m : records) {
            dup.add(m);
            if (!(m instanceof InlineEnd)) {
                dup.add(m);
            }
        }
        try (InlineAssembler a = assembler(4)) {
            assertCompleted(feed(a, dup));
        }
    }

    @Test
    void conflictingDuplicateIsRejected() throws IOException {
        makeImage(3_000, 700);
        List<ImageMessage> ms = new ArrayList<>(records.subList(0, 3));
        InlineTile t = (InlineTile) records.get(1);
        byte[] changed = t.payload().clone();
        changed[0] ^= 1;
        ms.add(new InlineTile(t.imageId(), t.seq(), t.offset(), changed));
        try (InlineAssembler a = assembler(4)) {
            AssemblyResult.Rejected r = assertInstanceOf(AssemblyResult.Rejected.class, feed(a, ms));
            assertEquals(RejectReason.SEQUENCE_ERROR, r.error().reason());
            assertEquals(0, a.inProgress());
            try (Stream<Path> s = Files.list(dir.resolve("spool"))) {
                assertEquals(0, s.count(), "the partial file is deleted");
            }
        }
    }

    @Test
    void gapOverflowsTheBuffer() throws IOException {
        makeImage(20_000, 1000);
        List<ImageMessage> missing = new ArrayList<>(records);
        missing.remove(2); // tile 1 never comes
        try (InlineAssembler a = assembler(5)) {
            AssemblyResult.Rejected r = assertInstanceOf(AssemblyResult.Rejected.class, feed(a, missing));
            assertEquals(RejectReason.SEQUENCE_ERROR, r.error().reason());
        }
        // With a buffer big enough, the image waits; abandoning it reports what is missing.
        try (InlineAssembler a = assembler(100)) {
            assertInstanceOf(AssemblyResult.Pending.class, feed(a, missing));
            AssemblyResult.Rejected r = a.abandon("img-1", "timed out");
            assertTrue(r.error().detail().contains("have 1 records"), r.error().detail());
        }
    }

    @Test
    void wrongOffsetShaAndSize() throws IOException {
        makeImage(3_000, 1000);
        List<ImageMessage> ms = new ArrayList<>(records);
        InlineTile t = (InlineTile) ms.get(2);
        ms.set(2, new InlineTile(t.imageId(), t.seq(), t.offset() + 1, t.payload()));
        try (InlineAssembler a = assembler(4)) {
            assertEquals(RejectReason.SEQUENCE_ERROR, assertInstanceOf(AssemblyResult.Rejected.class, feed(a, ms)).error().reason());
        }
        ms = new ArrayList<>(records);
        InlineEnd e = (InlineEnd) ms.get(ms.size() - 1);
        byte[] sha = e.sha256().clone();
        sha[0] ^= 1;
        ms.set(ms.size() - 1, new InlineEnd(e.imageId(), e.records(), e.totalBytes(), sha));
        try (InlineAssembler a = assembler(4)) {
            assertEquals(RejectReason.CHECKSUM_MISMATCH, assertInstanceOf(AssemblyResult.Rejected.class, feed(a, ms)).error().reason());
        }
        ms = new ArrayList<>(records);
        ms.set(ms.size() - 1, new InlineEnd(e.imageId(), e.records() + 1, e.totalBytes(), e.sha256()));
        try (InlineAssembler a = assembler(4)) {
            assertInstanceOf(AssemblyResult.Pending.class, feed(a, ms), "waits for the tile the end record promises");
        }
    }

    @Test
    void tooLargeIsRejected() throws IOException {
        makeImage(5_000, 1000);
        try (InlineAssembler a = new InlineAssembler(dir.resolve("spool"), 4_000, 4)) {
            assertEquals(RejectReason.TILE_BYTES_LIMIT, assertInstanceOf(AssemblyResult.Rejected.class, feed(a, records)).error().reason());
        }
    }

    @Test
    void corruptRecordRejectsItsImage() throws IOException {
        makeImage(3_000, 1000);
        byte[] tile = ImageMessageCodec.encode(records.get(1));
        tile[tile.length - 10] ^= 1;
        try (InlineAssembler a = assembler(4)) {
            a.accept(records.get(0));
            AssemblyResult r = a.accept(ImageMessageDeserializer.decode("img-1".getBytes(), tile));
            assertEquals(RejectReason.CHECKSUM_MISMATCH, assertInstanceOf(AssemblyResult.Rejected.class, r).error().reason());
            assertEquals(0, a.inProgress());
        }
    }
}
