package io.scanline.kernels.stream;

import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A model prepared for streaming: opens per-image scans and advances many of them at once.
 * Glossary: B images of a bundle, n patches per chunk, ps patch size, D width, K classes.
 */
public interface ScanEngine extends AutoCloseable {
    String family();

    int patchSize();

    int width();

    int classes();

    /** A fresh scan at token 0. */
    ImageScan open(ImageHeader header);

    /** A scan continuing from a snapshot taken by a scan of this engine for the same image. */
    ImageScan restore(ImageHeader header, CarriedState state);

    /**
     * Advances several scans by one chunk each: element i of {@code patches} goes to scan i. An engine
     * batches chunks of equal length into one backend call along B; the result equals calling
     * {@link ImageScan#accept} per scan (spec streaming §2, "batch"). A scan may appear at most once.
     */
    default List<ChunkOutput> acceptBundle(List<? extends ImageScan> scans, List<Tensor> patches) {
        if (scans.size() != patches.size()) {
            throw new IllegalArgumentException(scans.size() + " scans but " + patches.size() + " chunks");
        }
        List<ChunkOutput> out = new ArrayList<>(scans.size());
        for (int i = 0; i < scans.size(); i++) out.add(scans.get(i).accept(patches.get(i)));
        return out;
    }

    @Override
    default void close() {}
}
