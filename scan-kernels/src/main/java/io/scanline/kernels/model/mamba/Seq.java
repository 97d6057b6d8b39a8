package io.scanline.kernels.model.mamba;

import io.scanline.kernels.model.TokenStore;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Data movement between token-major (B, L, W) tensors and barrier stores: gathers/scatters for
 * column-major scans. No arithmetic happens here.
 *
 * <p>Glossary: B images, L tokens, W floats per token.
 */
final class Seq {
    private Seq() {}

    /** Rows at positions pos[a..b) of a store, in that order: (B, b − a, W). Contiguous runs are read at once. */
    static Tensor gather(TokenStore store, int[] pos, int a, int b) {
        List<Tensor> parts = new ArrayList<>();
        int i = a;
        while (i < b) {
            int n = 1;
            while (i + n < b && pos[i + n] == pos[i] + n) n++;
            parts.add(store.read(pos[i], n));
            i += n;
        }
        return parts.size() == 1 ? parts.get(0) : Tensor.concatAxis1(parts);
    }

    /** Writes rows (B, b − a, W) to positions pos[a..b) of a store. */
    static void scatter(TokenStore store, int[] pos, int a, int b, Tensor rows) {
        int i = a;
        while (i < b) {
            int n = 1;
            while (i + n < b && pos[i + n] == pos[i] + n) n++;
            store.write(pos[i], rows.sliceAxis1(i - a, i - a + n));
            i += n;
        }
    }

    /** Identity positions 0..l−1. */
    static int[] identity(int l) {
        int[] p = new int[l];
        for (int i = 0; i < l; i++) p[i] = i;
        return p;
    }
}
