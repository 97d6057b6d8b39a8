package io.scanline.kernels.model;

import io.scanline.kernels.tensor.Tensor;

/**
 * Receives per-token outputs as soon as a chunk of tokens is final, so that a stream over a huge image
 * never holds (B, L, ·) outputs. Glossary: B images, n tokens of the chunk, W width of the output.
 */
@FunctionalInterface
public interface TokenSink {
    /**
     * @param key        golden key name, e.g. {@code output.features}
     * @param firstToken index of the chunk's first token in the model's output token order
     * @param rows       (B, n, W); the sink may keep it and read it later: a model does not release rows
     *                   it has handed to a sink (they may stay on a device until read)
     */
    void accept(String key, int firstToken, Tensor rows);
}
