package io.scanline.kernels.heads;

import java.util.function.Consumer;

/**
 * Dense outputs of one image from a causal token stream (chunks of final features in raster order, as
 * De-focus Mamba emits them): per chunk the heads run on its tokens, mask cells go to the grid by token
 * position and boxes to a {@link StreamingNms} whose frontier follows the stream, so masks and boxes come
 * out band by band and do not depend on the chunk size.
 *
 * <p>Glossary: Hp x Wp patch grid, M = Hp * Wp patch tokens (a class token at index M is ignored),
 * H x W image in pixels, n tokens of a chunk.
 */
public final class DenseStream {
    private final CellHead seg;
    private final DetectionHead det;
    private final TokenCellGrid grid;
    private final StreamingNms nms;
    private final int hp, wp, patch;
    private long next;

    /**
     * @param seg   segmentation head or null
     * @param det   detection head or null
     * @param mask  receives mask bands (needed when seg is set)
     * @param boxes receives final boxes (needed when det is set)
     */
    public DenseStream(DenseHeads heads, CellHead seg, DetectionHead det, int height, int width,
                       MaskBandSink mask, Consumer<Box> boxes) {
        this.patch = heads.patch();
        this.hp = height / patch;
        this.wp = width / patch;
        if (hp == 0 || wp == 0) throw new IllegalArgumentException("image " + width + "x" + height + " is smaller than one patch of " + patch);
        this.seg = seg;
        this.det = det;
        if (seg != null) {
            int s = seg.subdivision();
            PixelMask px = new PixelMask(hp * s, wp * s, seg.classes(), patch / s, height, width,
                    heads.segmentationThreshold(), mask);
            this.grid = new TokenCellGrid(hp, wp, s, seg.classes(), px);
        } else {
            this.grid = null;
        }
        this.nms = det != null ? new StreamingNms(heads.nmsIou(), boxes) : null;
    }

    /** The next chunk: tokens [firstToken, firstToken + n) in raster order, consecutive with the last. */
    public void accept(long firstToken, TokenLevels levels) {
        if (firstToken != next) throw new IllegalStateException("chunk starts at token " + firstToken + ", expected " + next);
        int n = levels.tokens();
        long m = (long) hp * wp;
        int patches = (int) Math.max(0, Math.min(n, m - firstToken));   // drops the class token
        if (patches > 0) {
            if (grid != null) grid.accept(firstToken, seg.cells(levels, patches), patches);
            if (nms != null) {
                float[] raw = det.raw(levels.get(TokenLevels.FEATURES), patches);
                nms.add(det.decode(raw, patches, firstToken, wp, patch));
                long nextRow = (firstToken + patches) / wp;
                nms.advance(det.minTopFromRow(nextRow, patch));
            }
        }
        next = firstToken + n;
    }

    public void finish() {
        if (next < (long) hp * wp) throw new IllegalStateException("stream ended at token " + next + " of " + (long) hp * wp);
        if (grid != null) grid.finish();
        if (nms != null) nms.finish();
    }

    public int gridRows() { return hp; }

    public int gridCols() { return wp; }
}
