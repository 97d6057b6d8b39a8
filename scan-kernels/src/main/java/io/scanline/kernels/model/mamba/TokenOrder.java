package io.scanline.kernels.model.mamba;

import io.scanline.kernels.model.WeightsException;

/**
 * Where the patch of scan index s sits on the embedded patch grid, and where its output goes.
 * Raster (D6): s = r·Wp + c. Tile (De-focus D5, spec models §6.5): tiles of {@code tile} pixels in
 * raster order, raster order inside each tile; the image is zero-padded to whole tiles, and outputs are
 * mapped back to grid positions cropped to ⌈H/ps⌉ × ⌈W/ps⌉ (padding tokens have no output slot).
 *
 * <p>Glossary: ps patch size, (gridH, gridW) embedded (padded) grid, (outH, outW) output grid,
 * tp patches per tile side.
 */
final class TokenOrder {
    final int gridH, gridW, outH, outW, tp;

    private TokenOrder(int gridH, int gridW, int outH, int outW, int tp) {
        this.gridH = gridH;
        this.gridW = gridW;
        this.outH = outH;
        this.outW = outW;
        this.tp = tp;
    }

    static TokenOrder raster(int hp, int wp) {
        return new TokenOrder(hp, wp, hp, wp, 0);
    }

    /** Tile order for an h × w pixel image; the caller embeds the image padded to {@link #paddedHeight}. */
    static TokenOrder tile(int h, int w, int ps, int stride, int tile) {
        if (stride != ps) throw new WeightsException("token_order 'tile' needs stride == patch_size, got " + stride + " vs " + ps);
        if (tile <= 0 || tile % ps != 0) throw new WeightsException("tile_size " + tile + " must be a positive multiple of patch_size " + ps);
        int tp = tile / ps;
        int tilesY = (h + tile - 1) / tile, tilesX = (w + tile - 1) / tile;
        return new TokenOrder(tilesY * tp, tilesX * tp, (h + ps - 1) / ps, (w + ps - 1) / ps, tp);
    }

    int patches() { return gridH * gridW; }

    int outPatches() { return outH * outW; }

    int paddedHeight(int ps) { return gridH * ps; }

    int paddedWidth(int ps) { return gridW * ps; }

    /** Grid row of scan index s. */
    int row(int s) {
        if (tp == 0) return s / gridW;
        int tile = s / (tp * tp), in = s % (tp * tp), tilesX = gridW / tp;
        return (tile / tilesX) * tp + in / tp;
    }

    /** Grid column of scan index s. */
    int col(int s) {
        if (tp == 0) return s % gridW;
        int tile = s / (tp * tp), in = s % (tp * tp), tilesX = gridW / tp;
        return (tile % tilesX) * tp + in % tp;
    }

    /** Output slot of scan index s (patches only), −1 for padding outside the cropped grid. */
    int outIndex(int s) {
        if (tp == 0) return s;
        int r = row(s), c = col(s);
        return r < outH && c < outW ? r * outW + c : -1;
    }
}
