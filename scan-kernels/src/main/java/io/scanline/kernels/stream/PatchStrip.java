package io.scanline.kernels.stream;

import io.scanline.kernels.tensor.Tensor;

import java.util.List;

/**
 * Lays chunks of patches side by side as one pixel strip, so the patch-embedding conv (stride = patch
 * size) embeds a whole chunk, of several images, in one call. Glossary: B images, n patches per
 * chunk, ps patch size; patches (n, 3, ps, ps) → strip (B, 3, ps, n·ps).
 */
final class PatchStrip {
    private PatchStrip() {}

    static Tensor of(List<Tensor> chunks, int ps) {
        int n = chunks.get(0).dim(0), b = chunks.size(), w = n * ps;
        float[] out = new float[b * 3 * ps * w];
        for (int bi = 0; bi < b; bi++) {
            Tensor p = chunks.get(bi);
            if (p.dim(0) != n) throw new IllegalArgumentException("chunks of one strip must have equal length");
            float[] src = p.f32();
            for (int i = 0; i < n; i++)
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < ps; y++)
                        System.arraycopy(src, ((i * 3 + c) * ps + y) * ps,
                                out, ((bi * 3 + c) * ps + y) * w + i * ps, ps);
        }
        return Tensor.of(out, b, 3, ps, w);
    }

    /** Checks a chunk is (n, 3, ps, ps) F32 with no NaN/Inf: bad pixels must not reach the state. */
    static void check(Tensor patches, int ps, String imageId) {
        int[] s = patches.shape();
        if (s.length != 4 || s[1] != 3 || s[2] != ps || s[3] != ps) {
            throw new IllegalArgumentException(imageId + ": chunk must be (n, 3, " + ps + ", " + ps + "), got "
                    + java.util.Arrays.toString(s));
        }
        for (float v : patches.f32()) {
            if (!Float.isFinite(v)) throw new IllegalArgumentException(imageId + ": chunk holds a non-finite pixel");
        }
    }
}
