package io.scanline.connectors.results;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import java.util.zip.Inflater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiled pyramidal mask TIFF decodes back to the exact mask at every level (read with an independent
 * minimal TIFF parser in this test), its structure is what TwelveMonkeys sees, and misuse fails clearly.
 */
class TiledTiffWriterTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryLevelWhateverTheBands() throws Exception {
        int w = 700, h = 530, tile = 128;
        byte[] mask = new byte[w * h];
        Random r = new Random(1);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) mask[y * w + x] = (byte) (((x / 7 + y / 5) % 3 == 0 ? 255 : 0) ^ (r.nextInt(50) == 0 ? 1 : 0));
        Path f = dir.resolve("mask.tif");
        try (TiledTiffWriter tw = new TiledTiffWriter(f, w, h, tile, 0.499)) {
            assertEquals(4, tw.levels(), "700 -> 350 -> 175 -> 88 fits one tile");
            for (int y = 0; y < h; ) {
                int rows = Math.min(h - y, 1 + r.nextInt(90));
                byte[] band = new byte[rows * w];
                System.arraycopy(mask, y * w, band, 0, band.length);
                tw.writeRows(y, rows, band);
                y += rows;
            }
        }
        Map<Integer, long[]>[] ifds = MiniTiff.read(f);
        assertEquals(4, ifds.length);
        for (int k = 0; k < 4; k++) {
            int lw = (w + (1 << k) - 1) >> k, lh = (h + (1 << k) - 1) >> k;
            assertEquals(lw, ifds[k].get(256)[0]);
            assertEquals(lh, ifds[k].get(257)[0]);
            assertEquals(k == 0 ? 0 : 1, ifds[k].get(254)[0]);
            assertEquals(8, ifds[k].get(259)[0], "Deflate");
            // 10000 um per cm / 0.499 um per px at level 0, halved per level
            long[] res = ifds[k].get(282);
            assertEquals(10_000 / 0.499 / (1 << k), res[0] / (double) res[1], 1e-2);
            byte[] got = MiniTiff.pixels(f, ifds[k], lw, lh, tile);
            for (int y = 0; y < lh; y++) {
                for (int x = 0; x < lw; x++) {
                    if (got[y * lw + x] != mask[(y << k) * w + (x << k)]) throw new AssertionError("level " + k + " pixel " + x + "," + y);
                }
            }
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            assertTrue(it.hasNext(), "a TIFF reader recognizes the file");
            ImageReader rd = it.next();
            rd.setInput(in);
            assertEquals(4, rd.getNumImages(true));
            assertEquals(w, rd.getWidth(0));
            assertEquals(88, rd.getWidth(3));
            assertTrue(rd.isImageTiled(0));
            assertEquals(tile, rd.getTileWidth(0));
            rd.dispose();
        }
    }

    /** A mask written with the orthophoto's georeferencing reads back with it (checked with the ingest reader). */
    @Test
    void georeferencedMaskCarriesTheInputTransformAndCrs() throws Exception {
        io.scanline.connectors.image.GeoReference geo = new io.scanline.connectors.image.GeoReference(
                new double[]{321000, 2, 0, 130800.944427, 0, -2}, 27700, false);
        Path f = dir.resolve("geo.tif");
        try (TiledTiffWriter tw = new TiledTiffWriter(f, 300, 200, 128, null, geo)) {
            tw.writeRows(0, 200, new byte[300 * 200]);
        }
        Map<Integer, long[]>[] ifds = MiniTiff.read(f);
        assertTrue(ifds[0].containsKey(33550) && ifds[0].containsKey(33922) && ifds[0].containsKey(34735));
        assertTrue(!ifds[1].containsKey(34735), "overviews inherit the georeferencing");
        try (io.scanline.connectors.image.ImageSource src = io.scanline.connectors.image.ImageSources.open(f,
                io.scanline.connectors.ingest.IngestLimits.defaults())) {
            io.scanline.connectors.image.GeoReference back = src.geoReference().orElseThrow();
            assertEquals(27700, back.epsg());
            org.junit.jupiter.api.Assertions.assertArrayEquals(geo.geoTransform(), back.geoTransform(), 1e-9);
        }
    }

    @Test
    void rejectsMisuse() throws Exception {
        Path f = dir.resolve("bad.tif");
        TiledTiffWriter tw = new TiledTiffWriter(f, 40, 40, 16, null);
        assertThrows(IllegalStateException.class, () -> tw.writeRows(5, 1, new byte[40]), "bands out of order");
        assertThrows(IllegalArgumentException.class, () -> tw.writeRows(0, 2, new byte[40]), "band too short");
        tw.writeRows(0, 10, new byte[400]);
        assertThrows(IllegalStateException.class, tw::close, "closing before the last row is an error, not a truncated file");
        assertThrows(IllegalArgumentException.class, () -> new TiledTiffWriter(dir.resolve("x.tif"), 10, 10, 100, null));
    }

    /** A minimal independent TIFF parser: little endian, top-level IFD chain, SHORT/LONG/RATIONAL values. */
    static final class MiniTiff {
        @SuppressWarnings("unchecked")
        static Map<Integer, long[]>[] read(Path f) throws Exception {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals('I', b.get(0));
            assertEquals(42, b.getShort(2));
            java.util.List<Map<Integer, long[]>> out = new java.util.ArrayList<>();
            long off = Integer.toUnsignedLong(b.getInt(4));
            while (off != 0 && out.size() < 64) {
                int n = b.getShort((int) off) & 0xFFFF;
                Map<Integer, long[]> m = new HashMap<>();
                int prevTag = -1;
                for (int i = 0; i < n; i++) {
                    int e = (int) off + 2 + 12 * i;
                    int tag = b.getShort(e) & 0xFFFF, type = b.getShort(e + 2), count = b.getInt(e + 4);
                    assertTrue(tag > prevTag, "tags ascending");
                    prevTag = tag;
                    long[] v = new long[type == 5 ? 2 * count : count];
                    int size = type == 3 ? 2 : type == 4 ? 4 : 8;
                    int at = (long) size * count <= 4 ? e + 8 : b.getInt(e + 8);
                    for (int j = 0; j < count; j++) {
                        if (type == 3) v[j] = b.getShort(at + 2 * j) & 0xFFFF;
                        else if (type == 4) v[j] = Integer.toUnsignedLong(b.getInt(at + 4 * j));
                        else if (type == 12) v[j] = b.getLong(at + 8 * j);
                        else { v[2 * j] = Integer.toUnsignedLong(b.getInt(at + 8 * j)); v[2 * j + 1] = Integer.toUnsignedLong(b.getInt(at + 8 * j + 4)); }
                    }
                    m.put(tag, v);
                }
                out.add(m);
                off = Integer.toUnsignedLong(b.getInt((int) off + 2 + 12 * n));
            }
            return out.toArray(new Map[0]);
        }

        static byte[] pixels(Path f, Map<Integer, long[]> ifd, int w, int h, int tile) throws Exception {
            byte[] file = Files.readAllBytes(f);
            long[] offs = ifd.get(324), lens = ifd.get(325);
            int across = (w + tile - 1) / tile, down = (h + tile - 1) / tile;
            assertEquals(across * down, offs.length);
            byte[] out = new byte[w * h];
            for (int t = 0; t < offs.length; t++) {
                Inflater inf = new Inflater();
                inf.setInput(file, (int) offs[t], (int) lens[t]);
                byte[] px = new byte[tile * tile];
                assertEquals(px.length, inf.inflate(px), "full tile");
                inf.end();
                int tx = t % across, ty = t / across;
                for (int y = 0; y < tile && ty * tile + y < h; y++) {
                    for (int x = 0; x < tile && tx * tile + x < w; x++) out[(ty * tile + y) * w + tx * tile + x] = px[y * tile + x];
                }
            }
            return out;
        }
    }
}
