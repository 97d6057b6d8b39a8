package io.scanline.operators;

import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.image.Level;
import io.scanline.connectors.image.Region;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.patch.PatchConfig;
import io.scanline.connectors.patch.Patchifier;
import io.scanline.connectors.patch.TokenChunk;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Reads an image with the ingest layer (TIFF/BigTIFF/SVS/GeoTIFF by bands, JPEG, PNG; every limit of
 * {@link IngestLimits}) and emits it as chunk records of patches in raster scan order (spec models D6)
 * through the connectors' {@link Patchifier}, normalized with the ImageNet statistics (spec models
 * §1.2). The grid is floor(H/ps) × floor(W/ps): the right/bottom remainder is cropped, as the
 * stride-ps patch embedding does. Memory: one band of ps pixel rows of the level.
 *
 * <p>Per-tile mode: the image is cut into tiles of {@code tilePatches}² patches, each read as its own
 * region and emitted as a one-scan image {@code id#r<row>c<col>} (no state shared between tiles).
 *
 * <p>Glossary: ps patch size, Hp × Wp patch grid, S patches per chunk.
 */
public final class ImageChunker implements Serializable {
    private static final long serialVersionUID = 1L;
    static final float[] MEAN = {0.485f, 0.456f, 0.406f}, STD = {0.229f, 0.224f, 0.225f};

    private final int ps, chunkPatches, tilePatches;
    /** Not serializable: a shipped chunker reads with the default limits (see {@link #limits()}). */
    private final transient IngestLimits limits;

    /** @param tilePatches 0 for whole-image scans, else the tile side in patches (per-tile mode) */
    public ImageChunker(int patchSize, int chunkPatches, int tilePatches) {
        this(patchSize, chunkPatches, tilePatches, IngestLimits.defaults());
    }

    public ImageChunker(int patchSize, int chunkPatches, int tilePatches, IngestLimits limits) {
        if (patchSize < 1 || chunkPatches < 1 || tilePatches < 0) throw new IllegalArgumentException("patch size and chunk length must be positive");
        this.ps = patchSize;
        this.chunkPatches = chunkPatches;
        this.tilePatches = tilePatches;
        this.limits = limits;
    }

    private IngestLimits limits() {
        return limits != null ? limits : IngestLimits.defaults();
    }

    /**
     * Thrown for input that can never be processed before any chunk of it was emitted; becomes a
     * dead letter carrying the ingest {@link #reasonCode()} (e.g. {@code MALFORMED}, {@code NOT_FOUND}).
     */
    public static final class Rejected extends Exception {
        private final String reasonCode;

        public Rejected(IngestException e) {
            super(e.oneLine(), e);
            this.reasonCode = e.reason().name();
        }

        public String reasonCode() { return reasonCode; }
    }

    public static String idOf(String path) {
        return Path.of(path).getFileName().toString();
    }

    /** Level 0, whole image. */
    public void chunk(String imageId, String path, Consumer<ChunkRecord> out) throws Rejected {
        chunk(imageId, Path.of(path), 0, null, out);
    }

    /**
     * Emits every chunk of one level (or a region of it). A failure before the first chunk throws
     * {@link Rejected} and emits nothing; a failure later (a corrupt tile deep in a slide) ends the
     * started scan with an {@link ChunkRecord#aborted} record carrying the reason, so the scan
     * dead-letters the image once and clears its state.
     */
    public void chunk(String imageId, Path file, int level, Region region, Consumer<ChunkRecord> out) throws Rejected {
        chunk(imageId, file, src -> io.scanline.connectors.image.LevelSelector.byIndex(src, level), region, out);
    }

    /** The level and region a protocol v1 reference asks for (index, target mpp or downsample; none = level 0). */
    public void chunk(io.scanline.connectors.protocol.ImageReference ref, Path file, Consumer<ChunkRecord> out) throws Rejected {
        chunk(ref.imageId(), file, src -> ref.targetMpp() != null ? io.scanline.connectors.image.LevelSelector.byMpp(src, ref.targetMpp())
                : ref.downsample() != null ? io.scanline.connectors.image.LevelSelector.byDownsample(src, ref.downsample())
                : io.scanline.connectors.image.LevelSelector.byIndex(src, ref.level() == null ? 0 : ref.level()), ref.region(), out);
    }

    /** Picks a pyramid level of an opened source. */
    @FunctionalInterface
    interface LevelChoice {
        int pick(ImageSource src) throws IngestException;
    }

    private void chunk(String imageId, Path file, LevelChoice choice, Region region, Consumer<ChunkRecord> out) throws Rejected {
        try (ImageSource src = ImageSources.open(file, limits())) {
            int level = choice.pick(src);
            Level l = src.levels().get(level);
            Region whole = region == null ? Region.whole(l) : region;
            if (tilePatches == 0) {
                emit(imageId, src, level, whole, out);
                return;
            }
            int side = tilePatches * ps, hp = whole.height() / ps, wp = whole.width() / ps;
            if (hp < 1 || wp < 1) emit(imageId, src, level, whole, out);   // rejected by the patchifier: too small
            for (int r0 = 0; r0 < hp; r0 += tilePatches)
                for (int c0 = 0; c0 < wp; c0 += tilePatches) {
                    int h = Math.min(side, (hp - r0) * ps), w = Math.min(side, (wp - c0) * ps);
                    emit(imageId + "#r" + (r0 / tilePatches) + "c" + (c0 / tilePatches), src, level,
                            new Region(whole.x() + c0 * ps, whole.y() + r0 * ps, w, h), out);
                }
        } catch (IngestException e) {
            throw new Rejected(e);
        }
    }

    private void emit(String id, ImageSource src, int level, Region region, Consumer<ChunkRecord> out) throws IngestException {
        // the patchifier bounds a chunk at 64 Mi floats (PatchConfig); none needs to be longer than the image
        long tokens = io.scanline.connectors.patch.PatchGrid.of(region.width(), region.height(), PatchConfig.raster(ps, 1)).tokens();
        int s = (int) Math.max(1, Math.min(chunkPatches, Math.min(tokens, (64L << 20) / (3L * ps * ps))));
        Patchifier p = new Patchifier(src, level, region, PatchConfig.raster(ps, s));
        int gh = p.grid().rows(), gw = p.grid().cols();
        long seq = 0;
        try {
            for (TokenChunk c = p.next(); c != null; c = p.next()) {
                out.accept(new ChunkRecord(id, seq++, gh, gw, ps, c.values(), c.last()));
            }
        } catch (IngestException e) {
            if (seq == 0) throw e;
            out.accept(ChunkRecord.aborted(id, seq, gh, gw, ps, e.reason().name() + ": " + e.oneLine()));
        }
    }
}
