package io.scanline.connectors.tiff;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TiffScannerTest {
    @TempDir
    Path dir;

    private Path write(byte[] b) throws IOException {
        Path f = Files.createTempFile(dir, "t", ".tif");
        Files.write(f, b);
        return f;
    }

    private RejectReason reject(byte[] b, IngestLimits limits) throws IOException {
        Path f = write(b);
        IngestException e = assertThrows(IngestException.class, () -> TiffScanner.scan(f, limits));
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        return e.reason();
    }

    @Test
    void validFileInBothByteOrders() throws Exception {
        for (ByteOrder o : new ByteOrder[]{ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            TinyTiff t = new TinyTiff(o).add(TinyTiff.grayIfd(5, 3, 8), null).add(TinyTiff.grayIfd(2, 1, 8), null);
            TiffStructure s = TiffScanner.scan(write(t.build(15)), IngestLimits.defaults());
            assertEquals(o, s.byteOrder());
            assertFalse(s.bigTiff());
            assertEquals(2, s.directories().size());
            TiffDirectory d = s.directories().get(0);
            assertEquals(5, d.width());
            assertEquals(3, d.height());
            assertEquals(8, d.dataOffsets()[0]);
            assertEquals(15, d.dataByteCounts()[0]);
            assertEquals(2, s.directories().get(1).width());
        }
    }

    @Test
    void loopIsDetected() throws Exception {
        TinyTiff t = new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(TinyTiff.grayIfd(5, 3, 8), null).add(TinyTiff.grayIfd(5, 3, 8), null);
        int first = t.ifdOffset(0, 15);
        t.nextOverride.set(1, (long) first);
        assertEquals(RejectReason.IFD_LOOP, reject(t.build(15), IngestLimits.defaults()));
        // A self-loop too.
        TinyTiff self = new TinyTiff(ByteOrder.BIG_ENDIAN).add(TinyTiff.grayIfd(5, 3, 8), (long) new TinyTiff(ByteOrder.BIG_ENDIAN).ifdOffset(0, 15));
        assertEquals(RejectReason.IFD_LOOP, reject(self.build(15), IngestLimits.defaults()));
    }

    @Test
    void tooManyIfds() throws Exception {
        TinyTiff t = new TinyTiff(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) {
            t.add(TinyTiff.grayIfd(5, 3, 8), null);
        }
        byte[] b = t.build(15);
        assertEquals(4, TiffScanner.scan(write(b), IngestLimits.defaults()).directories().size());
        assertEquals(RejectReason.TOO_MANY_IFDS, reject(b, IngestLimits.defaults().withMaxIfds(3)));
    }

    @Test
    void nextIfdOutsideFile() throws Exception {
        TinyTiff t = new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(TinyTiff.grayIfd(5, 3, 8), 1_000_000L);
        assertEquals(RejectReason.OFFSET_OUT_OF_FILE, reject(t.build(15), IngestLimits.defaults()));
    }

    @Test
    void stripPastEndOfFileIsTruncation() throws Exception {
        // 1500 pixel bytes promised at offset 8, only 15 written before the IFD: the strip runs past the end.
        TinyTiff t = new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(TinyTiff.grayIfd(50, 30, 8), null);
        assertEquals(RejectReason.TRUNCATED, reject(t.build(15), IngestLimits.defaults()));
    }

    @Test
    void stripOffsetIntoHeaderIsMalformed() throws Exception {
        TinyTiff t = new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(TinyTiff.grayIfd(5, 3, 0), null);
        assertEquals(RejectReason.MALFORMED, reject(t.build(15), IngestLimits.defaults()));
    }

    @Test
    void missingAndMistypedRequiredTags() throws Exception {
        List<TinyTiff.Entry> noWidth = new ArrayList<>(TinyTiff.grayIfd(5, 3, 8));
        noWidth.remove(0);
        assertEquals(RejectReason.MALFORMED, reject(new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(noWidth, null).build(15), IngestLimits.defaults()));
        List<TinyTiff.Entry> asciiWidth = new ArrayList<>(TinyTiff.grayIfd(5, 3, 8));
        asciiWidth.set(0, new TinyTiff.Entry(256, 2, 1, 0x35));
        assertEquals(RejectReason.MALFORMED, reject(new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(asciiWidth, null).build(15), IngestLimits.defaults()));
    }

    @Test
    void countsBeyondTheFileOrTheLimit() throws Exception {
        List<TinyTiff.Entry> e = new ArrayList<>(TinyTiff.grayIfd(5, 3, 8));
        e.add(new TinyTiff.Entry(305, 2, 0xFFFFFFFFL, 100));
        assertEquals(RejectReason.OFFSET_OUT_OF_FILE, reject(new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(e, null).build(15), IngestLimits.defaults()));
        List<TinyTiff.Entry> f = new ArrayList<>(TinyTiff.grayIfd(5, 3, 8));
        f.add(new TinyTiff.Entry(305, 2, 100, 100));
        assertEquals(RejectReason.OFFSET_OUT_OF_FILE, reject(new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(f, null).build(15), IngestLimits.defaults()));
        // Three strips of one row: a 3-value offset table, above a limit of 2 values per read tag.
        List<TinyTiff.Entry> g = new ArrayList<>(TinyTiff.grayIfd(5, 3, 8));
        g.set(5, new TinyTiff.Entry(273, 3, 3, 8));
        g.set(7, new TinyTiff.Entry(278, 3, 1, 1));
        g.set(8, new TinyTiff.Entry(279, 3, 3, 8));
        byte[] b = new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(g, null).build(15);
        assertEquals(RejectReason.HEADER_LIMIT, reject(b, IngestLimits.defaults().withMaxTagValues(2)));
    }

    @Test
    void dimensionAndPixelLimits() throws Exception {
        byte[] b = new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(TinyTiff.grayIfd(5, 3, 8), null).build(15);
        assertEquals(RejectReason.DIMENSION_LIMIT, reject(b, IngestLimits.defaults().withMaxDimension(4)));
        assertEquals(RejectReason.PIXEL_LIMIT, reject(b, IngestLimits.defaults().withMaxPixelsPerLevel(14)));
        assertEquals(RejectReason.TILE_BYTES_LIMIT, reject(b, IngestLimits.defaults().withMaxTileBytes(14)));
        List<TinyTiff.Entry> zero = new ArrayList<>(TinyTiff.grayIfd(5, 3, 8));
        zero.set(0, new TinyTiff.Entry(256, 3, 1, 0));
        assertEquals(RejectReason.DIMENSION_LIMIT, reject(new TinyTiff(ByteOrder.LITTLE_ENDIAN).add(zero, null).build(15), IngestLimits.defaults()));
    }

    @Test
    void headerProblems() throws Exception {
        assertEquals(RejectReason.MALFORMED, reject(new byte[]{'I', 'I', 42, 0}, IngestLimits.defaults()));
        assertEquals(RejectReason.UNSUPPORTED_FORMAT, reject(new byte[]{'I', 'I', 41, 0, 8, 0, 0, 0}, IngestLimits.defaults()));
        assertEquals(RejectReason.MALFORMED, reject(new byte[]{'I', 'I', 42, 0, 0, 0, 0, 0}, IngestLimits.defaults()));
        // BigTIFF with a bad offset size, and one whose first IFD lies beyond the file.
        assertEquals(RejectReason.MALFORMED, reject(new byte[]{'I', 'I', 43, 0, 4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0}, IngestLimits.defaults()));
        assertEquals(RejectReason.OFFSET_OUT_OF_FILE, reject(new byte[]{'M', 'M', 0, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, IngestLimits.defaults()));
    }
}
