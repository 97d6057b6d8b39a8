package io.scanline.kernels.model.mamba;

/**
 * ARM's column order as coded (spec models §7.2): with q = L // 2 and h = ⌊√L⌋, remove element q,
 * view the other M elements as an h×h grid row-major, transpose, flatten, re-insert at q.
 * {@code perm[j]} is the row-order index of the token at column-order position j. For even M the
 * class token (c = M//2 = q) keeps its slot; for odd M, q = c + 1 and the class token moves into the
 * grid, reproduced literally.
 *
 * <p>Glossary: M patches, L = M + 1 tokens.
 */
final class ColumnOrder {
    private ColumnOrder() {}

    static int[] permutation(int length) {
        int q = length / 2, h = (int) Math.floor(Math.sqrt(length)), m = length - 1;
        if (h * h != m) {
            throw new IllegalArgumentException("arm needs a square patch grid: " + m + " patches do not form an h×h grid");
        }
        int[] rest = new int[m];
        for (int i = 0, o = 0; i < length; i++) if (i != q) rest[o++] = i;
        int[] perm = new int[length];
        int[] transposed = new int[m];
        for (int i = 0; i < h; i++)
            for (int k = 0; k < h; k++) transposed[k * h + i] = rest[i * h + k];
        for (int j = 0, o = 0; j < length; j++) perm[j] = j == q ? q : transposed[o++];
        return perm;
    }
}
