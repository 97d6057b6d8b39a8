package io.scanline.kernels.stream;

import io.scanline.kernels.tensor.Tensor;

/**
 * Per-token outputs of one chunk, final as soon as the chunk has left the last block.
 * Glossary: n tokens of the chunk, D width, K classes.
 *
 * @param firstToken scan index of the chunk's first token
 * @param features   (n, D) final-norm features, or null where the family has none before finish
 * @param tokenLogits (n, K) per-patch logits (De-focus head2), or null
 */
public record ChunkOutput(long firstToken, Tensor features, Tensor tokenLogits) {
    public int tokens() {
        return features != null ? features.dim(0) : tokenLogits != null ? tokenLogits.dim(0) : 0;
    }
}
