package io.scanline.connectors.patch;

import io.scanline.connectors.image.Region;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streaming patchifier against a direct reference: the whole image in memory, tokens listed by
 * the order's definition (spec D5/D6), each value computed with the normalisation formula. Values
 * must agree exactly (same float expression), positions and token counts too, for awkward sizes,
 * strides, regions and chunk lengths.
 *
 * <p>Dimensions: H, W image; p patch; s stride; T tile; Hp, Wp grid.
 */
class PatchifierTest {
    /** Reference tokens in scan order: {row, col} and p*p*3 values each. */
    private static List<float[]> reference(MemoryImageSource img, Region reg, PatchConfig c, List<int[]> pos) {
        int p = c.patchSize(), s = c.stride();
        int hp, wp;
        if (c.order() == TokenOrder.TILE) {
            hp = (reg.height() + c.tileSize() - 1) / c.tileSize() * (c.tileSize() / p);
            wp = (reg.width() + c.tileSize() - 1) / c.tileSize() * (c.tileSize() / p);
        } else if (c.padding() == Padding.CROP) {
            hp = reg.height() >= p ? (reg.height() - p) / s + 1 : 0;
            wp = reg.width() >= p ? (reg.width() - p) / s + 1 : 0;
        } else {
            hp = reg.height() <= p ? 1 : (reg.height() - p + s - 1) / s + 1;
            wp = reg.width() <= p ? 1 : (reg.width() - p + s - 1) / s + 1;
        }
        List<int[]> order = new ArrayList<>();
        if (c.order() == TokenOrder.RASTER) {
            for (int r = 0; r < hp; r++) {
                for (int q = 0; q < wp; q++) {
                    order.add(new int[]{r, q});
                }
            }
        } else {
            int k = c.tileSize() / p;
            for (int tr = 0; tr < hp / k; tr++) {
                for (int tc = 0; tc < wp / k; tc++) {
                    for (int i = 0; i < k; i++) {
                        for (int j = 0; j < k; j++) {
                            order.add(new int[]{tr * k + i, tc * k + j});
                        }
                    }
                }
            }
        }
        double[] mean = c.mean(), std = c.std();
        List<float[]> out = new ArrayList<>();
        for (int[] rc : order) {
            float[] v = new float[3 * p * p];
            for (int ch = 0; ch < 3; ch++) {
                for (int py = 0; py < p; py++) {
                    for (int px = 0; px < p; px++) {
                        int y = rc[0] * s + py, x = rc[1] * s + px;
                        if (y < reg.height() && x < reg.width()) {
                            int val = img.pixel(reg.x() + x, reg.y() + y, ch);
                            v[ch * p * p + py * p + px] = (float) ((val / 255.0 - mean[ch]) / std[ch]);
                        }
                    }
                }
            }
            out.add(v);
            pos.add(rc);
        }
        return out;
    }

    private static void check(MemoryImageSource img, Region reg, PatchConfig c) throws IngestException {
        List<int[]> pos = new ArrayList<>();
        List<float[]> ref = reference(img, reg, c, pos);
        Patchifier p = new Patchifier(img, 0, reg, c);
        assertEquals(ref.size(), p.grid().tokens(), "token count " + c);
        int t = 0;
        TokenChunk ch;
        while ((ch = p.next()) != null) {
            assertEquals(t, ch.firstToken());
            assertTrue(ch.count() <= c.chunkTokens());
            for (int i = 0; i < ch.count(); i++, t++) {
                assertEquals(pos.get(t)[0], ch.rows()[i], "row of token " + t);
                assertEquals(pos.get(t)[1], ch.cols()[i], "col of token " + t);
                float[] got = new float[c.tokenFloats()];
                System.arraycopy(ch.values(), i * c.tokenFloats(), got, 0, got.length);
                assertArrayEquals(ref.get(t), got, "values of token " + t + " " + c);
            }
            assertEquals(t == ref.size(), ch.last());
        }
        assertEquals(ref.size(), t);
    }

    @Test
    void rasterCropAndPadOnAwkwardSizes() throws IngestException {
        int[][] sizes = {{16, 16}, {17, 16}, {16, 33}, {47, 31}, {100, 1}, {1, 40}, {64, 64}, {129, 70}};
        for (int[] wh : sizes) {
            MemoryImageSource img = new MemoryImageSource(wh[0], wh[1], wh[0] * 31L + wh[1]);
            for (int chunk : new int[]{1, 7, 64, 1000}) {
                if (wh[0] >= 16 && wh[1] >= 16) {
                    check(img, Region.whole(img.levels().get(0)), PatchConfig.raster(16, chunk));
                }
                check(img, Region.whole(img.levels().get(0)), PatchConfig.raster(16, chunk).withPadding(Padding.PAD));
            }
        }
    }

    @Test
    void overlappingStrideAndOddPatch() throws IngestException {
        MemoryImageSource img = new MemoryImageSource(53, 41, 7);
        check(img, Region.whole(img.levels().get(0)), PatchConfig.raster(16, 5).withStride(8));
        check(img, Region.whole(img.levels().get(0)), PatchConfig.raster(16, 5).withStride(8).withPadding(Padding.PAD));
        check(img, Region.whole(img.levels().get(0)), PatchConfig.raster(7, 3).withStride(5).withPadding(Padding.PAD));
    }

    @Test
    void tileOrderPadsToWholeTiles() throws IngestException {
        // 2x3 tiles of 32 px (k = 4 patches of 8 px) for a 70x50 image: last tile row and column are partly padding.
        MemoryImageSource img = new MemoryImageSource(70, 50, 11);
        for (int chunk : new int[]{1, 5, 16, 17, 96}) {
            check(img, Region.whole(img.levels().get(0)), PatchConfig.tiles(8, 32, chunk));
        }
        PatchGrid g = PatchGrid.of(70, 50, PatchConfig.tiles(8, 32, 1));
        assertEquals(8, g.rows());
        assertEquals(12, g.cols());
        // Token 16 is the first patch of the second tile: grid (0, 4).
        assertEquals(0, g.row(16));
        assertEquals(4, g.col(16));
        // Tile-order band is one tile row: 32 pixel rows, never the whole image.
        Patchifier p = new Patchifier(img, 0, null, PatchConfig.tiles(8, 32, 7));
        while (p.next() != null) {
            assertTrue(img.maxRowsPerRead <= 32);
        }
    }

    @Test
    void regionOfInterest() throws IngestException {
        MemoryImageSource img = new MemoryImageSource(90, 77, 3);
        check(img, new Region(13, 9, 50, 41), PatchConfig.raster(16, 6));
        check(img, new Region(13, 9, 50, 41), PatchConfig.tiles(16, 32, 6));
        assertThrows(IngestException.class, () -> new Patchifier(img, 0, new Region(50, 0, 41, 10), PatchConfig.raster(16, 6)));
    }

    @Test
    void rasterReadsOneBandOfPatchRows() throws IngestException {
        MemoryImageSource img = new MemoryImageSource(200, 190, 5);
        Patchifier p = new Patchifier(img, 0, null, PatchConfig.raster(16, 50));
        while (p.next() != null) {
            assertTrue(img.maxRowsPerRead <= 16, "raster order holds one patch row of pixels");
        }
        // Each pixel row under a patch row is read once: 11 patch rows x 16 rows.
        assertEquals(11 * 16, img.rowsRead);
    }

    @Test
    void customNormalisation() throws IngestException {
        MemoryImageSource img = new MemoryImageSource(32, 16, 9);
        check(img, Region.whole(img.levels().get(0)),
                PatchConfig.raster(16, 2).withNormalization(new double[]{0.5, 0.5, 0.5}, new double[]{0.5, 0.25, 2}));
    }

    @Test
    void tooSmallForOnePatchIsABadRequest() {
        MemoryImageSource img = new MemoryImageSource(10, 40, 1);
        IngestException e = assertThrows(IngestException.class, () -> new Patchifier(img, 0, null, PatchConfig.raster(16, 4)));
        assertEquals(RejectReason.BAD_REQUEST, e.reason());
    }

    @Test
    void invalidConfigsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PatchConfig.tiles(16, 200, 4));
        assertThrows(IllegalArgumentException.class, () -> PatchConfig.raster(16, 0));
        assertThrows(IllegalArgumentException.class, () -> PatchConfig.raster(16, 4).withStride(17));
        assertThrows(IllegalArgumentException.class,
                () -> PatchConfig.raster(16, 4).withNormalization(new double[]{0, 0, 0}, new double[]{1, 0, 1}));
    }
}
