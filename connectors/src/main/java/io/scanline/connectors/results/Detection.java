package io.scanline.connectors.results;

/**
 * One detected object: an axis-aligned box in level-0 pixel coordinates ((0, 0) = upper-left corner of the
 * first pixel, x1/y1 exclusive), a score in [0, 1] and a category name.
 */
public record Detection(double x0, double y0, double x1, double y1, double score, String category) {
    public Detection {
        if (!(x1 >= x0 && y1 >= y0)) throw new IllegalArgumentException("box with negative extent");
        if (category == null || category.isEmpty()) throw new IllegalArgumentException("detection without a category");
    }
}
