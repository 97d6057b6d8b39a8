package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

/**
 * A backbone built from config + weights, run as a stream: the image is embedded and scanned chunk by
 * chunk through the passes of its {@link Plan}, each layer carrying its own state.
 */
public interface StreamingModel {
    String family();

    /** The passes for a patch grid of hp × wp. */
    Plan plan(int hp, int wp);

    /** Tokens of the scanned sequence for a patch grid of hp × wp: the patches plus one class token. */
    default long sequenceLength(int hp, int wp) {
        return (long) hp * wp + 1;
    }

    /**
     * @param image B same-sized normalized images (spec models §1.2), read by row bands
     */
    ModelOutput forward(Backend backend, ImageSource image, StreamOptions options);
}
