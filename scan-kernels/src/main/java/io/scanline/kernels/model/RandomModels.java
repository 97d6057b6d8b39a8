package io.scanline.kernels.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Optional side of a {@link ModelFamily}: a config at representative dimensions and random weights
 * for it, so benchmarks and memory tests can build any family without a checkpoint. A family that
 * implements this is picked up by the model benchmark automatically.
 */
public interface RandomModels {
    /** A config of this family at the dimensions of its golden cases (e.g. embed 192, depth 2–3). */
    JsonNode benchConfig();

    /**
     * Weights for {@code config} with every key the family reads, at the official shapes, with finite
     * values of sensible scale (outputs stay O(1)), deterministic in {@code seed}.
     */
    Weights randomWeights(JsonNode config, long seed);
}
