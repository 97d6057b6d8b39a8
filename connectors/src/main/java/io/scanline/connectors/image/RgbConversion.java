package io.scanline.connectors.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns whatever a decoder returns into 8-bit interleaved RGB. The general path goes through the
 * colour model ({@link #viaColorModel}); the fast path copies 3-byte BGR rasters (JPEG tiles, the
 * bulk of slide pixels) directly and is tested against the general one.
 */
public final class RgbConversion {
    private RgbConversion() {
    }

    /** Writes rows of {@code img} into {@code dst} (width = img width) starting at row {@code dstRow}. */
    public static void toRgb(BufferedImage img, byte[] dst, int dstRow) {
        int w = img.getWidth(), h = img.getHeight();
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && img.getRaster().getDataBuffer() instanceof DataBufferByte db
                && img.getRaster().getSampleModelTranslateX() == 0 && img.getRaster().getSampleModelTranslateY() == 0
                && db.getNumBanks() == 1 && db.getOffset() == 0 && db.getSize() == w * h * 3) {
            byte[] src = db.getData();
            int o = dstRow * w * 3;
            for (int i = 0; i < w * h * 3; i += 3) {
                dst[o + i] = src[i + 2];
                dst[o + i + 1] = src[i + 1];
                dst[o + i + 2] = src[i];
            }
            return;
        }
        ColorModel cm = img.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getNumColorComponents() == 1) {
            grayRaw(img, dst, dstRow);
            return;
        }
        viaColorModel(img, dst, dstRow);
    }

    /** Reference path: the colour model's sRGB conversion, row by row. */
    public static void viaColorModel(BufferedImage img, byte[] dst, int dstRow) {
        int w = img.getWidth(), h = img.getHeight();
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            int o = (dstRow + y) * w * 3;
            for (int x = 0; x < w; x++) {
                int p = row[x];
                dst[o++] = (byte) (p >> 16);
                dst[o++] = (byte) (p >> 8);
                dst[o++] = (byte) p;
            }
        }
    }

    /**
     * Gray as stored, replicated to RGB. The colour-model path would apply Java's linear-gray to sRGB
     * curve, which no training pipeline (PIL {@code convert("RGB")}) does.
     */
    static void grayRaw(BufferedImage img, byte[] dst, int dstRow) {
        Raster r = img.getRaster();
        int w = img.getWidth(), h = img.getHeight();
        int bits = img.getColorModel().getComponentSize(0);
        int shift = Math.max(0, bits - 8);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
            int o = (dstRow + y) * w * 3;
            for (int x = 0; x < w; x++) {
                int v = bits < 8 ? row[x] * 255 / ((1 << bits) - 1) : row[x] >>> shift;
                byte b = (byte) Math.min(255, Math.max(0, v));
                dst[o++] = b;
                dst[o++] = b;
                dst[o++] = b;
            }
        }
    }
}
