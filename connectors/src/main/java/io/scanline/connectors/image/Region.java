package io.scanline.connectors.image;

/** A rectangle of pixels of one level: columns [x, x + width), rows [y, y + height). */
public record Region(int x, int y, int width, int height) {
    public Region {
        if (x < 0 || y < 0 || width <= 0 || height <= 0) {
            throw new IllegalArgumentException("region needs x, y >= 0 and a positive size: " + x + "," + y + " " + width + "x" + height);
        }
    }

    public static Region whole(Level l) {
        return new Region(0, 0, l.width(), l.height());
    }

    public boolean fitsIn(Level l) {
        return (long) x + width <= l.width() && (long) y + height <= l.height();
    }
}
