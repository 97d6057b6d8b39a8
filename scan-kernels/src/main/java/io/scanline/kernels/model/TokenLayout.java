package io.scanline.kernels.model;

import io.scanline.kernels.tensor.Tensor;

import java.util.List;

/**
 * Pure data movement on token-major F32 tensors (no arithmetic, so every backend's results stay its
 * own): concatenation along the channel axis, reversal of the
 * token axis, broadcasting one row block over a batch.
 *
 * <p>Glossary: B batch, L tokens, C channels (the last axis; all leading axes are flattened into rows).
 */
public final class TokenLayout {
    private TokenLayout() {}

    /** Concatenation along the last axis; all parts share the leading shape. */
    public static Tensor concatColumns(List<Tensor> parts) {
        Tensor first = parts.get(0);
        int rows = first.numel() / Math.max(1, first.dim(-1));
        int total = 0;
        for (Tensor p : parts) {
            if (p.rank() != first.rank() || p.numel() / Math.max(1, p.dim(-1)) != rows) {
                throw new IllegalArgumentException("concatColumns: leading shapes differ: " + first + " vs " + p);
            }
            total += p.dim(-1);
        }
        float[] out = new float[rows * total];
        int off = 0;
        for (Tensor p : parts) {
            int w = p.dim(-1);
            float[] src = p.f32();
            for (int r = 0; r < rows; r++) System.arraycopy(src, r * w, out, r * total + off, w);
            off += w;
        }
        int[] shape = first.shape();
        shape[shape.length - 1] = total;
        return Tensor.of(out, shape);
    }

    /** (n, C) repeated for each of B batch elements: (B, n, C). */
    public static Tensor repeatBatch(Tensor rows, int batch) {
        if (batch == 1) return rows.reshape(1, rows.dim(0), rows.dim(1));   // no copy: callers only read it
        float[] src = rows.f32(), out = new float[src.length * batch];
        for (int b = 0; b < batch; b++) System.arraycopy(src, 0, out, b * src.length, src.length);
        return Tensor.of(out, batch, rows.dim(0), rows.dim(1));
    }

    /** Copies rows (B, n, C) into full (B, L, C) at tokens [t0, t0 + n). */
    public static void place(Tensor full, int t0, Tensor rows) {
        int b = full.dim(0), l = full.dim(1), c = full.dim(2), n = rows.dim(1);
        if (rows.dim(0) != b || rows.dim(2) != c || t0 < 0 || t0 + n > l) {
            throw new IllegalArgumentException("cannot place " + rows + " at token " + t0 + " of " + full);
        }
        float[] src = rows.f32(), dst = full.f32();
        for (int bi = 0; bi < b; bi++) System.arraycopy(src, bi * n * c, dst, (bi * l + t0) * c, n * c);
    }

    /** 1 + w, for weights stored as a residual around 1 (ViL γ − 1, spec models §2.5); done once at load. */
    public static Tensor plusOne(Tensor w) {
        float[] src = w.f32(), out = new float[src.length];
        for (int i = 0; i < src.length; i++) out[i] = 1.0f + src[i];
        return Tensor.of(out, w.shape());
    }
}
