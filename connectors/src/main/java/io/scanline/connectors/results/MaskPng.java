package io.scanline.connectors.results;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Path;

/** Small masks as 8-bit grayscale PNG (whole image in memory, so bounded by {@link #MAX_PIXELS}). */
public final class MaskPng {
    public static final long MAX_PIXELS = 64L << 20;

    private MaskPng() {}

    public static void write(Path file, int width, int height, byte[] mask) throws IOException {
        if ((long) width * height > MAX_PIXELS) {
            throw new IllegalArgumentException("mask " + width + "x" + height + " is too large for PNG output; write the tiled TIFF");
        }
        if (mask.length != width * height) throw new IllegalArgumentException("mask has " + mask.length + " bytes, expected " + width * height);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        System.arraycopy(mask, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, mask.length);
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer available");
    }
}
