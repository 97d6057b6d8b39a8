package io.scanline.connectors.results;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;

/**
 * Writes an 8-bit single-channel mask as a tiled, pyramidal TIFF (classic TIFF, little endian, Deflate
 * tiles), streaming: rows arrive top to bottom in bands, each tile row is compressed and written as soon as
 * it is complete, and the IFDs go at the end. Pyramid levels are separate top-level IFDs (level 0 first,
 * NewSubfileType 1 for the reduced ones), each level half the previous one (nearest sample: a label
 * mask keeps its label values), down to one tile. Pathology masks carry the microns per pixel as
 * X/YResolution in pixels per centimetre, which QuPath and OpenSlide-style readers take as the pixel size.
 *
 * <p>Glossary: W x H level-0 size, T tile side, level k is ceil(W / 2^k) x ceil(H / 2^k).
 * Memory: T rows per level, about 2 * T * W bytes.
 */
public final class TiledTiffWriter implements AutoCloseable {
    private static final long MAX_CLASSIC = 0xFFFF_FFFFL;

    private final FileChannel ch;
    private final int width, height, tile;
    private final Double mpp;
    private final io.scanline.connectors.image.GeoReference geo;
    private final Level[] levels;
    private final Deflater deflater = new Deflater(6);
    private long pos;
    private int nextRow;
    private boolean closed;

    private static final class Level {
        final int k, w, h;
        final byte[] band;          // T rows of this level
        int rowsInBand, tileRow;
        final List<long[]> tiles = new ArrayList<>();   // {offset, length} in tile order

        Level(int k, int w, int h, int tile) {
            this.k = k;
            this.w = w;
            this.h = h;
            this.band = new byte[tile * w];
        }
    }

    public TiledTiffWriter(Path file, int width, int height, int tile, Double micronsPerPixel) throws IOException {
        this(file, width, height, tile, micronsPerPixel, null);
    }

    /**
     * With {@code geo}, level 0 also carries GeoTIFF tags (the input's affine transform and EPSG code), so
     * GIS tools place the mask over the input; the reduced levels are its overviews.
     */
    public TiledTiffWriter(Path file, int width, int height, int tile, Double micronsPerPixel,
                           io.scanline.connectors.image.GeoReference geo) throws IOException {
        this.geo = geo;
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("mask size " + width + "x" + height);
        if (tile < 16 || tile % 16 != 0) throw new IllegalArgumentException("TIFF tile side must be a positive multiple of 16, got " + tile);
        if (micronsPerPixel != null && !(micronsPerPixel > 0)) throw new IllegalArgumentException("microns per pixel must be > 0");
        this.width = width;
        this.height = height;
        this.tile = tile;
        this.mpp = micronsPerPixel;
        List<Level> ls = new ArrayList<>();
        for (int k = 0; ; k++) {
            int w = (int) ((width + (1L << k) - 1) >> k), h = (int) ((height + (1L << k) - 1) >> k);
            ls.add(new Level(k, w, h, tile));
            if (w <= tile && h <= tile) break;
        }
        this.levels = ls.toArray(new Level[0]);
        this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        ByteBuffer hdr = le(8).put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(0);
        write(hdr.flip());
    }

    public int levels() { return levels.length; }

    /** Rows [y, y + rows) of level 0, {@code rows * W} bytes; bands must come in order. */
    public void writeRows(int y, int rows, byte[] pixels) throws IOException {
        if (closed) throw new IllegalStateException("writer closed");
        if (y != nextRow) throw new IllegalStateException("rows start at " + y + ", expected " + nextRow);
        if (rows < 0 || y + rows > height || pixels.length < (long) rows * width) {
            throw new IllegalArgumentException("band of " + rows + " rows at " + y + " (" + pixels.length + " bytes) does not fit " + width + "x" + height);
        }
        for (int i = 0; i < rows; i++) {
            int row = y + i;
            for (Level l : levels) {
                int step = 1 << l.k;
                if (row % step != 0) continue;
                int dst = l.rowsInBand * l.w;
                for (int x = 0; x < l.w; x++) l.band[dst + x] = pixels[i * width + x * step];
                if (++l.rowsInBand == tile) flushBand(l);
            }
        }
        nextRow += rows;
    }

    private void flushBand(Level l) throws IOException {
        if (l.rowsInBand == 0) return;
        byte[] t = new byte[tile * tile];
        byte[] buf = new byte[tile * tile + 1024];
        for (int tx = 0; tx * tile < l.w; tx++) {
            java.util.Arrays.fill(t, (byte) 0);   // edge tiles are padded with background
            int cols = Math.min(tile, l.w - tx * tile);
            for (int r = 0; r < l.rowsInBand; r++) System.arraycopy(l.band, r * l.w + tx * tile, t, r * tile, cols);
            deflater.reset();
            deflater.setInput(t);
            deflater.finish();
            java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
            while (!deflater.finished()) z.write(buf, 0, deflater.deflate(buf));
            byte[] data = z.toByteArray();
            l.tiles.add(new long[]{pos, data.length});
            write(ByteBuffer.wrap(data));
        }
        l.rowsInBand = 0;
        l.tileRow++;
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            if (nextRow != height) throw new IllegalStateException("mask TIFF closed after " + nextRow + " of " + height + " rows");
            for (Level l : levels) flushBand(l);
            long prevNextPtr = 4;   // header field that points at the first IFD
            for (Level l : levels) {
                if ((pos & 1) != 0) write(ByteBuffer.wrap(new byte[1]));   // IFDs start on a word boundary
                long ifd = pos;
                byte[] bytes = ifd(l, ifd);
                write(ByteBuffer.wrap(bytes));
                patch(prevNextPtr, ifd);
                prevNextPtr = ifd + 2 + 12L * entries(l);
            }
        } finally {
            deflater.end();
            ch.close();
        }
    }

    private int entries(Level l) {
        return (mpp != null ? 15 : 12) + (geoOn(l) ? (northUp() ? 3 : 2) : 0);
    }

    private boolean northUp() {
        double[] g = geo.geoTransform();
        return g[2] == 0 && g[4] == 0 && g[5] < 0;
    }

    private boolean geoOn(Level l) {
        return geo != null && l.k == 0;
    }

    /** One IFD at file offset {@code at}: entries, next-IFD pointer (0, patched by the next level), then out-of-line values. */
    private byte[] ifd(Level l, long at) {
        int n = entries(l), tiles = l.tiles.size();
        long extra = at + 2 + 12L * n + 4;
        ByteBuffer e = le(2 + 12 * n + 4), out = le(tiles * 8 + 16 + 256);
        e.putShort((short) n);
        entry(e, 254, 4, 1, l.k == 0 ? 0 : 1);    // NewSubfileType: reduced-resolution for k > 0
        entry(e, 256, 4, 1, l.w);
        entry(e, 257, 4, 1, l.h);
        entry(e, 258, 3, 1, 8);                   // BitsPerSample
        entry(e, 259, 3, 1, 8);                   // Compression: Adobe Deflate
        entry(e, 262, 3, 1, 1);                   // BlackIsZero
        entry(e, 277, 3, 1, 1);                   // SamplesPerPixel
        long resAt = 0;
        if (mpp != null) {
            resAt = extra + out.position();
            long pxPerCm = Math.round(10_000.0 / (mpp * (1 << l.k)) * 1000);
            out.putInt((int) pxPerCm).putInt(1000);
            entry(e, 282, 5, 1, resAt);
            entry(e, 283, 5, 1, resAt);
        }
        entry(e, 284, 3, 1, 1);                   // PlanarConfiguration: chunky
        if (mpp != null) entry(e, 296, 3, 1, 3);  // ResolutionUnit: centimetre
        entry(e, 322, 3, 1, tile);
        entry(e, 323, 3, 1, tile);
        long offAt = extra + out.position();
        for (long[] t : l.tiles) out.putInt((int) check(t[0]));
        long lenAt = extra + out.position();
        for (long[] t : l.tiles) out.putInt((int) t[1]);
        entry(e, 324, 4, tiles, tiles == 1 ? l.tiles.get(0)[0] : offAt);
        entry(e, 325, 4, tiles, tiles == 1 ? l.tiles.get(0)[1] : lenAt);
        if (geoOn(l)) geoTags(e, out, extra);
        if (e.position() != 2 + 12 * n) throw new IllegalStateException("IFD entry count");
        e.putInt(0);
        byte[] r = new byte[e.capacity() + out.position()];
        System.arraycopy(e.array(), 0, r, 0, e.capacity());
        System.arraycopy(out.array(), 0, r, e.capacity(), out.position());
        check(at + r.length);
        return r;
    }

    /**
     * GeoTIFF 1.0 tags: north-up transforms as ModelPixelScale + ModelTiepoint (what most readers expect),
     * others as ModelTransformation; GeoKeyDirectory with PixelIsArea (the transform's corner convention)
     * and the EPSG code, as geographic for codes 4000..4999 (EPSG's geographic 2D range) else projected.
     */
    private void geoTags(ByteBuffer e, ByteBuffer out, long extra) {
        double[] g = geo.geoTransform();
        if (northUp()) {
            long at = extra + out.position();
            out.putDouble(g[1]).putDouble(-g[5]).putDouble(0);
            entry(e, 33550, 12, 3, at);
            at = extra + out.position();
            out.putDouble(0).putDouble(0).putDouble(0).putDouble(g[0]).putDouble(g[3]).putDouble(0);
            entry(e, 33922, 12, 6, at);
        } else {
            long at = extra + out.position();
            double[] m = {g[1], g[2], 0, g[0], g[4], g[5], 0, g[3], 0, 0, 0, 0, 0, 0, 0, 1};
            for (double v : m) out.putDouble(v);
            entry(e, 34264, 12, 16, at);
        }
        int epsg = geo.epsg();
        boolean geographic = epsg >= 4000 && epsg < 5000;
        short[] keys = epsg > 0
                ? new short[]{1, 1, 0, 3, 1024, 0, 1, (short) (geographic ? 2 : 1), 1025, 0, 1, 1,
                        (short) (geographic ? 2048 : 3072), 0, 1, (short) epsg}
                : new short[]{1, 1, 0, 1, 1025, 0, 1, 1};
        long at = extra + out.position();
        for (short k : keys) out.putShort(k);
        entry(e, 34735, 3, keys.length, at);
    }

    private static void entry(ByteBuffer e, int tag, int type, int count, long value) {
        e.putShort((short) tag).putShort((short) type).putInt(count);
        if (type == 3 && count == 1) e.putShort((short) value).putShort((short) 0);
        else e.putInt((int) check(value));
    }

    private static long check(long off) {
        if (off > MAX_CLASSIC) throw new IllegalStateException("mask TIFF exceeds 4 GiB (classic TIFF offsets); BigTIFF output is not implemented");
        return off;
    }

    private void patch(long at, long value) throws IOException {
        ByteBuffer b = le(4).putInt((int) check(value)).flip();
        while (b.hasRemaining()) ch.write(b, at + b.position());
    }

    private void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) pos += ch.write(b);
        check(pos);
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    public int width() { return width; }

    public int height() { return height; }
}
