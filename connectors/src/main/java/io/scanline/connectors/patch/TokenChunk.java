package io.scanline.connectors.patch;

/**
 * A run of consecutive tokens [firstToken, firstToken + count) of one image's scan sequence.
 *
 * <p>Dimensions: n = count; p = patch size. {@code values} holds n x 3 x p x p floats, token-major,
 * then channel (R, G, B), then pixel row, then pixel column — the layout the patch-embedding
 * convolution of the engine reads. {@code rows[i]}, {@code cols[i]} are the grid position of token i.
 *
 * @param last true for the chunk that ends the image
 */
public record TokenChunk(long firstToken, int count, int[] rows, int[] cols, float[] values, boolean last) {
}
