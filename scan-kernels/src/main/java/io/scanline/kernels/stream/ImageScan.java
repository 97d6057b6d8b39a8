package io.scanline.kernels.stream;

import io.scanline.kernels.tensor.Tensor;

/**
 * The push-style scan of one image: chunks of patches arrive in scan order, state is carried between
 * them, and {@link #finish()} yields the image outputs. Glossary: n patches of a chunk, ps patch size.
 */
public interface ImageScan extends AutoCloseable {
    ImageHeader header();

    /** Scan index of the next patch token expected. */
    long nextToken();

    /**
     * Consumes the next n patches (normalized pixels, (n, 3, ps, ps), raster scan order).
     * Fails if the chunk would run past the image's M patch tokens.
     */
    ChunkOutput accept(Tensor patches);

    /** A deep copy of the carried state: restoring it into a fresh scan continues identically. */
    CarriedState snapshot();

    /** Runs what comes after the last patch (class token, head); all M patches must have arrived. */
    FinalOutput finish();

    /** Releases what the scan holds outside the heap (spill files); the scan's snapshot stays valid. */
    @Override
    default void close() {}
}
