package io.scanline.connectors.tiff;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks the directory chain of a TIFF/BigTIFF file before any decoder sees it, and rejects what a
 * decoder would mishandle: directory loops (TwelveMonkeys accepts them), offsets and value arrays
 * outside the file, absurd counts (which would make a decoder allocate gigabytes), missing or
 * mistyped required tags, and pixel data cut off by truncation. Every read is positional and
 * bounded by the file size and {@link IngestLimits}; nothing here allocates more than
 * {@code maxTagValues} values at once.
 *
 * <p>Strict on purpose: an entry whose values lie outside the file is an error even for a tag we do
 * not use, because the decoder behind us reads every entry.
 */
public final class TiffScanner {
    private final SeekableByteChannel ch;
    private final String source;
    private final IngestLimits limits;
    private final long size;
    private ByteOrder order;
    private boolean big;

    private TiffScanner(SeekableByteChannel ch, String source, IngestLimits limits) throws IOException {
        this.ch = ch;
        this.source = source;
        this.limits = limits;
        this.size = ch.size();
    }

    public static TiffStructure scan(Path file, IngestLimits limits) throws IngestException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new TiffScanner(ch, file.toString(), limits).run();
        } catch (NoSuchFileException e) {
            throw new IngestException(RejectReason.NOT_FOUND, file.toString(), "no such file");
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, file.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    public static TiffStructure scan(SeekableByteChannel ch, String source, IngestLimits limits) throws IngestException {
        try {
            return new TiffScanner(ch, source, limits).run();
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, source, "cannot read: " + e.getMessage(), e);
        }
    }

    private IngestException err(RejectReason r, String detail) {
        return new IngestException(r, source, detail);
    }

    private TiffStructure run() throws IOException, IngestException {
        if (size < 8) {
            throw err(RejectReason.MALFORMED, "file of " + size + " bytes is shorter than a TIFF header");
        }
        ByteBuffer h = read(0, 8, "header");
        byte b0 = h.get(0), b1 = h.get(1);
        if (b0 == 'I' && b1 == 'I') {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (b0 == 'M' && b1 == 'M') {
            order = ByteOrder.BIG_ENDIAN;
        } else {
            throw err(RejectReason.UNSUPPORTED_FORMAT, "not a TIFF byte-order mark");
        }
        h.order(order);
        int magic = Short.toUnsignedInt(h.getShort(2));
        long first;
        long headerSize;
        if (magic == 42) {
            big = false;
            first = Integer.toUnsignedLong(h.getInt(4));
            headerSize = 8;
        } else if (magic == 43) {
            big = true;
            if (size < 16) {
                throw err(RejectReason.MALFORMED, "BigTIFF header cut short");
            }
            ByteBuffer bh = read(0, 16, "BigTIFF header");
            if (bh.getShort(4) != 8 || bh.getShort(6) != 0) {
                throw err(RejectReason.MALFORMED, "BigTIFF header with offset size " + bh.getShort(4) + " (only 8 is defined)");
            }
            first = bh.getLong(8);
            headerSize = 16;
        } else {
            throw err(RejectReason.UNSUPPORTED_FORMAT, "TIFF magic " + magic + " (expected 42 or 43)");
        }
        if (first == 0) {
            throw err(RejectReason.MALFORMED, "no image directory (first IFD offset is 0)");
        }
        List<TiffDirectory> dirs = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long next = first;
        while (next != 0) {
            if (!seen.add(next)) {
                throw err(RejectReason.IFD_LOOP, "IFD chain returns to offset " + next + " after " + dirs.size() + " directories");
            }
            if (dirs.size() >= limits.maxIfds()) {
                throw err(RejectReason.TOO_MANY_IFDS, "more than " + limits.maxIfds() + " directories");
            }
            if (next < headerSize || next >= size || next < 0) {
                throw err(RejectReason.OFFSET_OUT_OF_FILE, "IFD " + dirs.size() + " at offset " + Long.toUnsignedString(next)
                        + " outside the file (" + size + " bytes)");
            }
            long[] nextOut = new long[1];
            dirs.add(readDirectory(dirs.size(), next, headerSize, nextOut));
            next = nextOut[0];
        }
        return new TiffStructure(big, order, size, Collections.unmodifiableList(dirs));
    }

    private TiffDirectory readDirectory(int index, long off, long headerSize, long[] nextOut) throws IOException, IngestException {
        String where = "IFD " + index;
        long n;
        int entrySize = big ? 20 : 12;
        long tableStart;
        if (big) {
            n = read(off, 8, where + " entry count").getLong(0);
            tableStart = off + 8;
        } else {
            n = Short.toUnsignedInt(read(off, 2, where + " entry count").getShort(0));
            tableStart = off + 2;
        }
        if (n == 0) {
            throw err(RejectReason.MALFORMED, where + " has no entries");
        }
        if (n < 0 || n > limits.maxIfdEntries()) {
            throw err(RejectReason.HEADER_LIMIT, where + " declares " + Long.toUnsignedString(n) + " entries (limit " + limits.maxIfdEntries() + ")");
        }
        int tableBytes = (int) n * entrySize + (big ? 8 : 4);
        ByteBuffer t = read(tableStart, tableBytes, where + " entry table");
        Map<Integer, TiffEntry> entries = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            int p = i * entrySize;
            int tag = Short.toUnsignedInt(t.getShort(p));
            int type = Short.toUnsignedInt(t.getShort(p + 2));
            long count = big ? t.getLong(p + 4) : Integer.toUnsignedLong(t.getInt(p + 4));
            int ts = TiffEntry.typeSize(type);
            if (count < 0 || count > limits.maxTagValues()) {
                throw err(RejectReason.HEADER_LIMIT, where + " tag " + tag + " has " + Long.toUnsignedString(count)
                        + " values (limit " + limits.maxTagValues() + ")");
            }
            long valueField = tableStart + p + (big ? 12 : 8);
            long bytes = count * Math.max(ts, 1);
            long valueOffset;
            if (bytes <= (big ? 8 : 4)) {
                valueOffset = valueField;
            } else {
                valueOffset = big ? t.getLong(p + 12) : Integer.toUnsignedLong(t.getInt(p + 8));
                if (valueOffset < headerSize) {
                    throw err(RejectReason.MALFORMED, where + " tag " + tag + ": values at offset " + Long.toUnsignedString(valueOffset)
                            + " point into the file header");
                }
                if (ts != 0 && (valueOffset < 0 || valueOffset > size || bytes > size - valueOffset)) {
                    throw err(RejectReason.OFFSET_OUT_OF_FILE, where + " tag " + tag + ": " + count + " values at offset "
                            + Long.toUnsignedString(valueOffset) + " run past the end of the file (" + size + " bytes)");
                }
            }
            // Unknown field types are skipped, as the TIFF spec asks; required tags are checked below.
            entries.putIfAbsent(tag, new TiffEntry(tag, type, count, valueOffset));
        }
        nextOut[0] = big ? t.getLong((int) n * entrySize) : Integer.toUnsignedLong(t.getInt((int) n * entrySize));
        return interpret(index, off, headerSize, Collections.unmodifiableMap(entries));
    }

    private TiffDirectory interpret(int index, long off, long headerSize, Map<Integer, TiffEntry> e) throws IOException, IngestException {
        String where = "IFD " + index;
        int width = requiredInt(e, TiffTags.IMAGE_WIDTH, where, "ImageWidth");
        int height = requiredInt(e, TiffTags.IMAGE_LENGTH, where, "ImageLength");
        if (width <= 0 || height <= 0 || width > limits.maxDimension() || height > limits.maxDimension()) {
            throw err(RejectReason.DIMENSION_LIMIT, where + " is " + width + "x" + height + " (each side must be 1.." + limits.maxDimension() + ")");
        }
        if ((long) width * height > limits.maxPixelsPerLevel()) {
            throw err(RejectReason.PIXEL_LIMIT, where + " has " + (long) width * height + " pixels (limit " + limits.maxPixelsPerLevel() + ")");
        }
        int spp = optionalInt(e, TiffTags.SAMPLES_PER_PIXEL, 1, where, "SamplesPerPixel");
        if (spp < 1 || spp > 64) {
            throw err(RejectReason.MALFORMED, where + " SamplesPerPixel " + spp);
        }
        int bps = optionalInt(e, TiffTags.BITS_PER_SAMPLE, 1, where, "BitsPerSample");
        if (bps < 1 || bps > 64) {
            throw err(RejectReason.MALFORMED, where + " BitsPerSample " + bps);
        }
        int compression = optionalInt(e, TiffTags.COMPRESSION, 1, where, "Compression");
        int photometric = optionalInt(e, TiffTags.PHOTOMETRIC, -1, where, "PhotometricInterpretation");
        int planar = optionalInt(e, TiffTags.PLANAR_CONFIGURATION, 1, where, "PlanarConfiguration");
        if (planar != 1 && planar != 2) {
            throw err(RejectReason.MALFORMED, where + " PlanarConfiguration " + planar);
        }
        boolean tiled = e.containsKey(TiffTags.TILE_WIDTH) || e.containsKey(TiffTags.TILE_OFFSETS);
        int tw, th;
        long[] offsets, counts;
        long blocks;
        if (tiled) {
            tw = requiredInt(e, TiffTags.TILE_WIDTH, where, "TileWidth");
            th = requiredInt(e, TiffTags.TILE_LENGTH, where, "TileLength");
            if (tw <= 0 || th <= 0 || tw > limits.maxDimension() || th > limits.maxDimension()) {
                throw err(RejectReason.MALFORMED, where + " tile size " + tw + "x" + th);
            }
            offsets = requiredInts(e, TiffTags.TILE_OFFSETS, where, "TileOffsets");
            counts = requiredInts(e, TiffTags.TILE_BYTE_COUNTS, where, "TileByteCounts");
            blocks = ceilDiv(width, tw) * ceilDiv(height, th);
        } else {
            tw = width;
            long rps = optionalLong(e, TiffTags.ROWS_PER_STRIP, height, where);
            th = (int) Math.max(1, Math.min(rps <= 0 ? height : rps, height));
            offsets = requiredInts(e, TiffTags.STRIP_OFFSETS, where, "StripOffsets");
            counts = requiredInts(e, TiffTags.STRIP_BYTE_COUNTS, where, "StripByteCounts");
            blocks = ceilDiv(height, th);
        }
        if (planar == 2) {
            blocks *= spp;
        }
        if (offsets.length < blocks || counts.length < blocks) {
            throw err(RejectReason.MALFORMED, where + " has " + offsets.length + " data offsets and " + counts.length
                    + " byte counts for " + blocks + " " + (tiled ? "tiles" : "strips"));
        }
        long decoded = (long) tw * th * (planar == 2 ? 1 : spp) * Math.max(1, (bps + 7) / 8);
        if (decoded > limits.maxTileBytes()) {
            throw err(RejectReason.TILE_BYTES_LIMIT, where + " decodes " + decoded + " bytes per " + (tiled ? "tile" : "strip")
                    + " (limit " + limits.maxTileBytes() + ")");
        }
        for (int i = 0; i < blocks; i++) {
            long o = offsets[i], c = counts[i];
            if (c < 0 || c > limits.maxTileBytes()) {
                throw err(RejectReason.TILE_BYTES_LIMIT, where + " block " + i + " holds " + Long.toUnsignedString(c)
                        + " compressed bytes (limit " + limits.maxTileBytes() + ")");
            }
            if (c == 0) {
                continue; // sparse tile: decoders fill it, nothing to read
            }
            if (o < headerSize) {
                throw err(RejectReason.MALFORMED, where + " block " + i + " data offset " + o + " points into the header");
            }
            if (o >= size || c > size - o) {
                throw err(RejectReason.TRUNCATED, where + " block " + i + " needs bytes " + o + ".." + (o + c)
                        + " but the file ends at " + size);
            }
        }
        long subfile = optionalLong(e, TiffTags.NEW_SUBFILE_TYPE, 0, where);
        String description = e.containsKey(TiffTags.IMAGE_DESCRIPTION) ? ascii(e.get(TiffTags.IMAGE_DESCRIPTION)) : null;
        return new TiffDirectory(index, off, e, width, height, spp, bps, compression, photometric, planar,
                tiled, tw, th, offsets, counts, subfile, description, e.containsKey(TiffTags.SUB_IFDS));
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private int requiredInt(Map<Integer, TiffEntry> e, int tag, String where, String name) throws IOException, IngestException {
        TiffEntry en = e.get(tag);
        if (en == null) {
            throw err(RejectReason.MALFORMED, where + " lacks required tag " + name + " (" + tag + ")");
        }
        return toInt(en, where, name);
    }

    private int optionalInt(Map<Integer, TiffEntry> e, int tag, int dflt, String where, String name) throws IOException, IngestException {
        TiffEntry en = e.get(tag);
        return en == null ? dflt : toInt(en, where, name);
    }

    private int toInt(TiffEntry en, String where, String name) throws IOException, IngestException {
        if (!en.isInteger() || en.count() < 1) {
            throw err(RejectReason.MALFORMED, where + " tag " + name + " has field type " + en.type() + " and "
                    + en.count() + " values (expected one integer)");
        }
        long v = longs(en)[0];
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw err(RejectReason.MALFORMED, where + " tag " + name + " = " + v + " out of range");
        }
        return (int) v;
    }

    private long optionalLong(Map<Integer, TiffEntry> e, int tag, long dflt, String where) throws IOException, IngestException {
        TiffEntry en = e.get(tag);
        if (en == null) {
            return dflt;
        }
        if (!en.isInteger() || en.count() < 1) {
            throw err(RejectReason.MALFORMED, where + " tag " + tag + " is not an integer");
        }
        return longs(en)[0];
    }

    private long[] requiredInts(Map<Integer, TiffEntry> e, int tag, String where, String name) throws IOException, IngestException {
        TiffEntry en = e.get(tag);
        if (en == null) {
            throw err(RejectReason.MALFORMED, where + " lacks required tag " + name + " (" + tag + ")");
        }
        if (!en.isInteger()) {
            throw err(RejectReason.MALFORMED, where + " tag " + name + " has non-integer field type " + en.type());
        }
        return longs(en);
    }

    /** Integer values of an entry; the count was bounded when the entry was read. */
    long[] longs(TiffEntry en) throws IOException, IngestException {
        int n = (int) en.count();
        int ts = TiffEntry.typeSize(en.type());
        ByteBuffer b = read(en.valueOffset(), n * ts, "tag " + en.tag() + " values");
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (en.type()) {
                case 1, 7 -> Byte.toUnsignedLong(b.get(i));
                case 6 -> b.get(i);
                case 3 -> Short.toUnsignedLong(b.getShort(i * 2));
                case 8 -> b.getShort(i * 2);
                case 4, 13 -> Integer.toUnsignedLong(b.getInt(i * 4));
                case 9 -> b.getInt(i * 4);
                default -> b.getLong(i * 8);
            };
        }
        return out;
    }

    String ascii(TiffEntry en) throws IOException, IngestException {
        ByteBuffer b = read(en.valueOffset(), (int) en.count() * Math.max(1, TiffEntry.typeSize(en.type())), "tag " + en.tag());
        byte[] a = new byte[b.remaining()];
        b.get(a);
        int end = a.length;
        while (end > 0 && a[end - 1] == 0) {
            end--;
        }
        return new String(a, 0, end, StandardCharsets.ISO_8859_1);
    }

    private ByteBuffer read(long pos, int len, String what) throws IOException, IngestException {
        if (pos < 0 || len < 0 || pos > size || len > size - pos) {
            throw err(RejectReason.OFFSET_OUT_OF_FILE, what + " at offset " + Long.toUnsignedString(pos) + " (+" + len
                    + " bytes) lies outside the file (" + size + " bytes)");
        }
        ByteBuffer b = ByteBuffer.allocate(len).order(order == null ? ByteOrder.BIG_ENDIAN : order);
        ch.position(pos);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw err(RejectReason.TRUNCATED, what + " cut off by end of file");
            }
        }
        b.flip();
        return b.order(order == null ? ByteOrder.BIG_ENDIAN : order);
    }

    /** Reads the doubles of a RATIONAL/FLOAT/DOUBLE (or integer) tag of a scanned file; bounded like every read here. */
    public static double[] doubles(Path file, TiffStructure s, TiffEntry en, IngestLimits limits) throws IngestException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            TiffScanner sc = new TiffScanner(ch, file.toString(), limits);
            sc.order = s.byteOrder();
            sc.big = s.bigTiff();
            return sc.doubles(en);
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, file.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads the integer values of a tag of a scanned file. */
    public static long[] integers(Path file, TiffStructure s, TiffEntry en, IngestLimits limits) throws IngestException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            TiffScanner sc = new TiffScanner(ch, file.toString(), limits);
            sc.order = s.byteOrder();
            sc.big = s.bigTiff();
            if (!en.isInteger()) {
                throw new IngestException(RejectReason.MALFORMED, file.toString(), "tag " + en.tag() + " is not an integer tag");
            }
            return sc.longs(en);
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, file.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    double[] doubles(TiffEntry en) throws IOException, IngestException {
        int n = (int) en.count();
        int ts = TiffEntry.typeSize(en.type());
        if (ts == 0) {
            throw err(RejectReason.MALFORMED, "tag " + en.tag() + " has unknown field type " + en.type());
        }
        if (en.isInteger()) {
            long[] l = longs(en);
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = l[i];
            }
            return d;
        }
        ByteBuffer b = read(en.valueOffset(), n * ts, "tag " + en.tag() + " values");
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (en.type()) {
                case 5 -> Integer.toUnsignedLong(b.getInt(i * 8)) / (double) Integer.toUnsignedLong(b.getInt(i * 8 + 4));
                case 10 -> b.getInt(i * 8) / (double) b.getInt(i * 8 + 4);
                case 11 -> b.getFloat(i * 4);
                case 12 -> b.getDouble(i * 8);
                default -> throw err(RejectReason.MALFORMED, "tag " + en.tag() + " field type " + en.type() + " is not numeric");
            };
        }
        return out;
    }
}
