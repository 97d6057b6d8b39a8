package io.scanline.connectors.patch;

import java.util.Arrays;

/**
 * How an image becomes tokens.
 *
 * @param patchSize   p: a token holds p x p pixels
 * @param stride      s: distance between patch origins (= p for non-overlapping patches)
 * @param chunkTokens S: tokens per emitted chunk (the last chunk may be shorter)
 * @param order       raster or tile order
 * @param tileSize    tile edge in pixels for {@link TokenOrder#TILE} (a multiple of p)
 * @param padding     edge policy for raster order
 * @param mean        per-channel mean of pixel / 255 (RGB)
 * @param std         per-channel standard deviation of pixel / 255 (RGB)
 */
public record PatchConfig(int patchSize, int stride, int chunkTokens, TokenOrder order, int tileSize, Padding padding,
                          double[] mean, double[] std) {

    /** ImageNet statistics, the input normalisation of every released model (spec models 1.2). */
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    /** Largest chunk payload, so a chunk never needs a giant array. */
    static final long MAX_CHUNK_FLOATS = 64L << 20;

    public PatchConfig {
        if (patchSize < 1 || patchSize > 1024) {
            throw new IllegalArgumentException("patch size must be 1..1024, got " + patchSize);
        }
        if (stride < 1 || stride > patchSize) {
            throw new IllegalArgumentException("stride must be 1..patch size, got " + stride);
        }
        if (chunkTokens < 1 || (long) chunkTokens * 3 * patchSize * patchSize > MAX_CHUNK_FLOATS) {
            throw new IllegalArgumentException("chunk of " + chunkTokens + " tokens of " + patchSize + "px patches is out of range");
        }
        if (order == null || padding == null) {
            throw new IllegalArgumentException("order and padding are required");
        }
        if (order == TokenOrder.TILE && (stride != patchSize || tileSize < patchSize || tileSize % patchSize != 0)) {
            throw new IllegalArgumentException("tile order needs stride = patch and a tile size that is a multiple of the patch, got tile "
                    + tileSize + ", patch " + patchSize + ", stride " + stride);
        }
        if (mean == null || std == null || mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (RGB)");
        }
        for (int c = 0; c < 3; c++) {
            if (!Double.isFinite(mean[c]) || !(std[c] > 0) || !Double.isFinite(std[c])) {
                throw new IllegalArgumentException("mean must be finite and std positive: " + Arrays.toString(mean) + " " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Raster order, non-overlapping patches, cropped edges, ImageNet normalisation. */
    public static PatchConfig raster(int patchSize, int chunkTokens) {
        return new PatchConfig(patchSize, patchSize, chunkTokens, TokenOrder.RASTER, patchSize, Padding.CROP, IMAGENET_MEAN, IMAGENET_STD);
    }

    /** De-focus detector tile order with ImageNet normalisation. */
    public static PatchConfig tiles(int patchSize, int tileSize, int chunkTokens) {
        return new PatchConfig(patchSize, patchSize, chunkTokens, TokenOrder.TILE, tileSize, Padding.PAD, IMAGENET_MEAN, IMAGENET_STD);
    }

    public PatchConfig withPadding(Padding p) {
        return new PatchConfig(patchSize, stride, chunkTokens, order, tileSize, p, mean, std);
    }

    public PatchConfig withStride(int s) {
        return new PatchConfig(patchSize, s, chunkTokens, order, tileSize, padding, mean, std);
    }

    public PatchConfig withNormalization(double[] m, double[] s) {
        return new PatchConfig(patchSize, stride, chunkTokens, order, tileSize, padding, m, s);
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    /** Floats per token: 3 channels x p x p. */
    public int tokenFloats() {
        return 3 * patchSize * patchSize;
    }
}
