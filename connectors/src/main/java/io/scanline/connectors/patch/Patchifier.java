package io.scanline.connectors.patch;

import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.Level;
import io.scanline.connectors.image.Region;
import io.scanline.connectors.image.RgbBand;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;

/**
 * Streams the patch tokens of one level (or a region of it) in scan order, as chunks of S tokens,
 * holding only one band of pixel rows: p rows for raster order, one tile row (T rows) for tile order.
 * Pixels are normalized as (v / 255 - mean) / std per channel through a lookup table; padded pixels
 * are 0 (the normalized value), as spec D5 pads the normalized image.
 *
 * <p>Dimensions: see {@link PatchGrid}; W_l = level width (bands are read full width).
 */
public final class Patchifier {
    private final ImageSource source;
    private final int level;
    private final Region region;
    private final PatchConfig config;
    private final PatchGrid grid;
    private final float[][] lut = new float[3][256];
    private RgbBand band;
    private long next;

    public Patchifier(ImageSource source, int level, Region region, PatchConfig config) throws IngestException {
        if (level < 0 || level >= source.levels().size()) {
            throw new IngestException(RejectReason.BAD_REQUEST, source.source(), "level " + level + " of " + source.levels().size());
        }
        Level l = source.levels().get(level);
        Region r = region == null ? Region.whole(l) : region;
        if (!r.fitsIn(l)) {
            throw new IngestException(RejectReason.BAD_REQUEST, source.source(), "region " + r + " exceeds level " + level + " (" + l.width() + "x" + l.height() + ")");
        }
        this.source = source;
        this.level = level;
        this.region = r;
        this.config = config;
        this.grid = PatchGrid.of(r.width(), r.height(), config);
        if (grid.tokens() == 0) {
            throw new IngestException(RejectReason.BAD_REQUEST, source.source(), "region " + r.width() + "x" + r.height()
                    + " is smaller than one " + config.patchSize() + "px patch (use padding PAD)");
        }
        double[] mean = config.mean(), std = config.std();
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                lut[c][v] = (float) ((v / 255.0 - mean[c]) / std[c]);
            }
        }
    }

    public PatchGrid grid() {
        return grid;
    }

    public long tokensEmitted() {
        return next;
    }

    /** The next chunk, or null after the last one. */
    public TokenChunk next() throws IngestException {
        long total = grid.tokens();
        if (next >= total) {
            return null;
        }
        int n = (int) Math.min(config.chunkTokens(), total - next);
        int p = config.patchSize(), s = config.stride(), tf = config.tokenFloats();
        int[] rows = new int[n], cols = new int[n];
        float[] values = new float[n * tf];
        for (int i = 0; i < n; i++) {
            long t = next + i;
            int r = grid.row(t), c = grid.col(t);
            rows[i] = r;
            cols[i] = c;
            int py0 = r * s, px0 = c * s;
            int yEnd = Math.min(py0 + p, region.height());
            int xEnd = Math.min(px0 + p, region.width());
            if (py0 >= yEnd || px0 >= xEnd) {
                continue; // all padding: zeros
            }
            ensureRows(r, py0, yEnd);
            int base = i * tf;
            int rowStride = band.width() * 3;
            for (int py = py0; py < yEnd; py++) {
                int src = (region.y() + py - band.y0()) * rowStride + (region.x() + px0) * 3;
                int o = base + (py - py0) * p;
                byte[] rgb = band.rgb();
                for (int px = px0; px < xEnd; px++, src += 3, o++) {
                    values[o] = lut[0][rgb[src] & 0xFF];
                    values[o + p * p] = lut[1][rgb[src + 1] & 0xFF];
                    values[o + 2 * p * p] = lut[2][rgb[src + 2] & 0xFF];
                }
            }
        }
        next += n;
        return new TokenChunk(next - n, n, rows, cols, values, next == total);
    }

    /** Makes the band hold region rows [y0, y1); tile order loads the whole tile row at once. */
    private void ensureRows(int gridRow, int y0, int y1) throws IngestException {
        int ay0 = region.y() + y0, ay1 = region.y() + y1;
        if (band != null && band.y0() <= ay0 && band.y0() + band.height() >= ay1) {
            return;
        }
        int from = y0, to = y1;
        if (config.order() == TokenOrder.TILE) {
            int k = config.tileSize() / config.patchSize();
            from = gridRow / k * config.tileSize();
            to = Math.min(region.height(), from + config.tileSize());
        }
        band = null; // let the old band go before the new one is allocated
        band = source.readRows(level, region.y() + from, to - from);
    }
}
