package io.scanline.kernels.model.mamba;

import io.scanline.kernels.model.SpillStore;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Data movement on token-major (B, L, W) tensors and barrier stores: reversal for backward scans and
 * gathers/scatters for column-major scans. No arithmetic happens here.
 *
 * <p>Glossary: B images, L tokens, W floats per token.
 */
final class Seq {
    private Seq() {}

    /** Tokens in reverse order along axis 1. */
    static Tensor reverse(Tensor t) {
        int b = t.dim(0), l = t.dim(1), w = t.numel() / Math.max(1, b * l);
        float[] src = t.f32(), out = new float[src.length];
        for (int bi = 0; bi < b; bi++)
            for (int i = 0; i < l; i++) System.arraycopy(src, (bi * l + i) * w, out, (bi * l + (l - 1 - i)) * w, w);
        return Tensor.of(out, t.shape());
    }

    /** Rows at positions pos[a..b) of a store, in that order: (B, b − a, W). Contiguous runs are read at once. */
    static Tensor gather(SpillStore store, int[] pos, int a, int b) {
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
    static void scatter(SpillStore store, int[] pos, int a, int b, Tensor rows) {
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
