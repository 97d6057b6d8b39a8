package io.scanline.kernels.model;

import com.fasterxml.jackson.databind.JsonNode;

/** Builds one family's model from its exported config and weights; found through ServiceLoader. */
public interface ModelFamily {
    /** {@code vil2}, {@code vil1}, {@code vim}, {@code adventurer}, {@code defocus_mamba}, {@code arm}. */
    String name();

    /**
     * Validates config values (unknown values are errors naming the key) and weights (every key and
     * shape; unexpected keys rejected via {@link Weights#requireAllUsed()}).
     */
    StreamingModel build(JsonNode config, Weights weights);
}
