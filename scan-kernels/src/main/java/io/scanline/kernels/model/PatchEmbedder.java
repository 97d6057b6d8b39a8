package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

/**
 * Patch embedding (spec ops §4.1) of raster-ordered token ranges, reading only the pixel band of the
 * patch rows a range touches and caching the last embedded patch row, so that any chunking costs one
 * embedding per patch row and memory is one band.
 *
 * <p>Glossary: ps patch size, st stride, Hp × Wp patch grid, D width; token t = r·Wp + c (D6).
 */
public final class PatchEmbedder {
    private final ImageSource image;
    private final Tensor weight;   // (D, 3, ps, ps)
    private final Tensor bias;     // (D)
    private final int ps, stride, hp, wp, d;
    private int cachedRow = -1;
    private Tensor cached;         // (B, Wp, D) of cachedRow

    public PatchEmbedder(ImageSource image, Tensor weight, Tensor bias, int stride) {
        this.image = image;
        this.weight = weight;
        this.bias = bias;
        this.ps = weight.dim(2);
        this.stride = stride;
        this.d = weight.dim(0);
        if (image.height() < ps || image.width() < ps) {
            throw new IllegalArgumentException("image " + image.height() + "x" + image.width() + " is smaller than one patch of " + ps);
        }
        this.hp = (image.height() - ps) / stride + 1;
        this.wp = (image.width() - ps) / stride + 1;
    }

    public int hp() { return hp; }

    public int wp() { return wp; }

    public int tokens() { return hp * wp; }

    /** One patch row r: (B, Wp, D). */
    public Tensor row(Backend be, int r) {
        if (r != cachedRow) {
            Tensor band = image.rows(r * stride, r * stride + ps);
            cached = be.patchEmbed(band, weight, bias, stride);
            cachedRow = r;
        }
        return cached;
    }

    /** Patch tokens [t0, t1) in raster order: (B, t1 − t0, D). */
    public Tensor tokens(Backend be, int t0, int t1) {
        java.util.List<Tensor> parts = new java.util.ArrayList<>();
        int t = t0;
        while (t < t1) {
            int r = t / wp, c0 = t % wp, c1 = Math.min(wp, c0 + (t1 - t));
            parts.add(row(be, r).sliceAxis1(c0, c1));
            t += c1 - c0;
        }
        if (parts.isEmpty()) return Tensor.zeros(image.batch(), 0, d);
        return parts.size() == 1 ? parts.get(0) : Tensor.concatAxis1(parts);
    }
}
