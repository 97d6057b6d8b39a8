package io.scanline.operators;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * Reads an image file and emits it as chunks of patches in raster scan order (spec models D6),
 * normalized with the ImageNet statistics (spec models §1.2). The grid is floor(H/ps) × floor(W/ps);
 * the right/bottom remainder is cropped, as the stride-ps patch embedding does. Decoding goes
 * through javax.imageio (PNG, JPEG, BMP, baseline TIFF), one band of ps rows at a time.
 *
 * <p>Per-tile mode: the image is cut into tiles of {@code tilePatches}² patches, each emitted as
 * its own one-chunk image {@code id#r<row>c<col>} (no state shared between tiles).
 *
 * <p>Glossary: ps patch size, Hp × Wp patch grid, S patches per chunk.
 */
public final class ImageChunker {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f}, STD = {0.229f, 0.224f, 0.225f};
    /** Refuse images above this many pixels: this reader decodes whole bands in memory. */
    public static final long MAX_PIXELS = 1L << 28;

    private final int ps, chunkPatches, tilePatches;

    /** @param tilePatches 0 for whole-image scans, else the tile side in patches (per-tile mode) */
    public ImageChunker(int patchSize, int chunkPatches, int tilePatches) {
        if (patchSize < 1 || chunkPatches < 1 || tilePatches < 0) throw new IllegalArgumentException("patch size and chunk length must be positive");
        this.ps = patchSize;
        this.chunkPatches = chunkPatches;
        this.tilePatches = tilePatches;
    }

    /** Thrown for input that can never be processed; becomes a dead letter with {@link #getMessage()}. */
    public static final class Rejected extends Exception {
        public Rejected(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    public static String idOf(String path) {
        return new File(path).getName();
    }

    /** Emits every chunk of the image at {@code path}; nothing is emitted if the image is rejected. */
    public void chunk(String imageId, String path, Consumer<ChunkRecord> out) throws Rejected {
        BufferedImage img = read(path);
        int hp = img.getHeight() / ps, wp = img.getWidth() / ps;
        if (hp < 1 || wp < 1) throw new Rejected("image " + img.getWidth() + "x" + img.getHeight() + " is smaller than one patch of " + ps, null);
        if (tilePatches == 0) {
            emit(imageId, img, 0, 0, hp, wp, out);
        } else {
            for (int r0 = 0; r0 < hp; r0 += tilePatches)
                for (int c0 = 0; c0 < wp; c0 += tilePatches)
                    emit(imageId + "#r" + (r0 / tilePatches) + "c" + (c0 / tilePatches), img, r0, c0,
                            Math.min(tilePatches, hp - r0), Math.min(tilePatches, wp - c0), out);
        }
    }

    /** Patches [r0, r0+gh) × [c0, c0+gw) of the grid as one scan of a gh × gw image. */
    private void emit(String id, BufferedImage img, int r0, int c0, int gh, int gw, Consumer<ChunkRecord> out) {
        int m = gh * gw, per = 3 * ps * ps;
        long seq = 0;
        for (int t = 0; t < m; t += chunkPatches) {
            int n = Math.min(chunkPatches, m - t);
            float[] px = new float[n * per];
            int[] rgb = new int[ps * ps];
            for (int i = 0; i < n; i++) {
                int r = r0 + (t + i) / gw, c = c0 + (t + i) % gw;
                img.getRGB(c * ps, r * ps, ps, ps, rgb, 0, ps);
                for (int y = 0; y < ps; y++)
                    for (int x = 0; x < ps; x++) {
                        int v = rgb[y * ps + x];
                        int[] ch = {(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
                        for (int k = 0; k < 3; k++) px[i * per + (k * ps + y) * ps + x] = (ch[k] / 255f - MEAN[k]) / STD[k];
                    }
            }
            out.accept(new ChunkRecord(id, seq++, gh, gw, ps, px, t + n == m));
        }
    }

    private static BufferedImage read(String path) throws Rejected {
        File f = new File(path);
        if (!f.isFile()) throw new Rejected("not a readable file: " + path, null);
        try (ImageInputStream in = ImageIO.createImageInputStream(f)) {
            if (in == null) throw new Rejected("cannot open " + path, null);
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            if (!it.hasNext()) throw new Rejected("unsupported image format: " + f.getName(), null);
            ImageReader rd = it.next();
            try {
                rd.setInput(in, true, true);
                long px = (long) rd.getWidth(0) * rd.getHeight(0);
                if (px > MAX_PIXELS) throw new Rejected("image of " + px + " pixels exceeds the local reader's limit " + MAX_PIXELS, null);
                return rd.read(0);
            } finally {
                rd.dispose();
            }
        } catch (Rejected e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // malformed files throw all kinds of RuntimeExceptions from decoders: each is a per-image reject
            throw new Rejected("cannot decode " + f.getName() + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() != null ? ": " + e.getMessage() : ""), e);
        }
    }
}
