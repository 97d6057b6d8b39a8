package io.scanline.connectors.image;

/**
 * Decoded rows of an image as 8-bit RGB, interleaved: byte (y * width + x) * 3 + c for c = R, G, B.
 *
 * @param y0     first image row held
 * @param width  pixels per row (the full level width)
 * @param height rows held
 */
public record RgbBand(int y0, int width, int height, byte[] rgb) {
    public RgbBand {
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("band " + width + "x" + height + " with " + rgb.length + " bytes");
        }
    }

    public int get(int x, int y, int c) {
        return rgb[((y - y0) * width + x) * 3 + c] & 0xFF;
    }
}
