package io.scanline.connectors.patch;

/**
 * The patch grid of an image region and the token order over it.
 *
 * <p>Dimensions: H, W = region height and width in pixels; p = patch size; s = stride;
 * Hp, Wp = grid rows and columns; T = tile size in pixels, k = T / p patches per tile edge;
 * M = Hp * Wp tokens.
 */
public record PatchGrid(int regionWidth, int regionHeight, int rows, int cols, PatchConfig config) {

    public static PatchGrid of(int width, int height, PatchConfig c) {
        int p = c.patchSize(), s = c.stride();
        int rows, cols;
        if (c.order() == TokenOrder.TILE) {
            int k = c.tileSize() / p;
            rows = ceilDiv(height, c.tileSize()) * k;
            cols = ceilDiv(width, c.tileSize()) * k;
        } else if (c.padding() == Padding.CROP) {
            rows = height >= p ? (height - p) / s + 1 : 0;
            cols = width >= p ? (width - p) / s + 1 : 0;
        } else {
            rows = height <= p ? 1 : ceilDiv(height - p, s) + 1;
            cols = width <= p ? 1 : ceilDiv(width - p, s) + 1;
        }
        return new PatchGrid(width, height, rows, cols, c);
    }

    private static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }

    public long tokens() {
        return (long) rows * cols;
    }

    /** Grid row of the t-th token in scan order. */
    public int row(long t) {
        if (config.order() == TokenOrder.RASTER) {
            return (int) (t / cols);
        }
        int k = config.tileSize() / config.patchSize();
        long tile = t / ((long) k * k);
        int within = (int) (t % ((long) k * k));
        int tilesPerRow = cols / k;
        return (int) (tile / tilesPerRow) * k + within / k;
    }

    /** Grid column of the t-th token in scan order. */
    public int col(long t) {
        if (config.order() == TokenOrder.RASTER) {
            return (int) (t % cols);
        }
        int k = config.tileSize() / config.patchSize();
        long tile = t / ((long) k * k);
        int within = (int) (t % ((long) k * k));
        int tilesPerRow = cols / k;
        return (int) (tile % tilesPerRow) * k + within % k;
    }

    /** Pixel rows [first, last) that the patches of grid row r cover inside the region (padding excluded). */
    public int firstPixelRow(int r) {
        return r * config.stride();
    }

    public int endPixelRow(int r) {
        return Math.min(regionHeight, r * config.stride() + config.patchSize());
    }
}
