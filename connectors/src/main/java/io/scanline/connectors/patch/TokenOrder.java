package io.scanline.connectors.patch;

/** Order in which patch tokens leave the patchifier. */
public enum TokenOrder {
    /** Row-major over the patch grid, t = r * Wp + c (spec D6). */
    RASTER,
    /**
     * De-focus detector order (spec D5): the grid is padded to whole tiles of {@code tileSize} pixels,
     * tiles go in raster order, and patches inside a tile in raster order.
     */
    TILE
}
