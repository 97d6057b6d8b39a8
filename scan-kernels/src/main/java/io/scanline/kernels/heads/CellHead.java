package io.scanline.kernels.heads;

import java.util.List;

/**
 * A dense head that maps each patch token to {@code classes * subdivision^2} sub-cell logits, using only
 * that token's own rows of the feature levels. Being per token, its output never depends on how the token
 * stream was cut into chunks.
 */
public interface CellHead {
    int classes();

    int subdivision();

    /** The feature levels this head reads (keys of {@link TokenLevels}). */
    default List<String> levels() { return List.of(TokenLevels.FEATURES); }

    /** Logits (n, classes * s * s) for n tokens. */
    float[] cells(TokenLevels levels, int n);
}
