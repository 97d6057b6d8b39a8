package io.scanline.kernels.stream;

/**
 * What a scan must know about an image before its first chunk: its id and its patch grid.
 * Glossary: Hp × Wp patch grid, M = Hp·Wp patch tokens in raster scan order (spec models D6).
 */
public record ImageHeader(String imageId, int gridH, int gridW) {
    public ImageHeader {
        if (imageId == null || imageId.isEmpty()) throw new IllegalArgumentException("image id must not be empty");
        if (gridH < 1 || gridW < 1) {
            throw new IllegalArgumentException(imageId + ": patch grid must be at least 1x1, got " + gridH + "x" + gridW);
        }
        if ((long) gridH * gridW > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException(imageId + ": patch grid " + gridH + "x" + gridW + " exceeds 2^31 tokens");
        }
    }

    /** M, the number of patch tokens. */
    public int tokens() {
        return gridH * gridW;
    }
}
