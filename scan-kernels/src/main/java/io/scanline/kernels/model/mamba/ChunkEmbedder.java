package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Patch embedding (spec ops §4.1) of the patches of a range of scan indices, in scan order. Runs of
 * patches that are adjacent in one grid row are embedded together from a pixel window read with
 * {@link ImageSource#region}, at most {@link #MAX_PIECE} patches per op call, so the op working set
 * depends on neither the image width nor the chunk length.
 *
 * <p>Glossary: B images, ps patch size, st stride, D width, n patches of the range.
 */
final class ChunkEmbedder {
    /** Patches per patch-embedding call; a bound on its working set, not a semantic choice. */
    static final int MAX_PIECE = 16;

    private final ImageSource image;
    private final Tensor weight, bias;
    private final int ps, stride, d;
    private final TokenOrder order;

    ChunkEmbedder(ImageSource image, Tensor weight, Tensor bias, int stride, TokenOrder order) {
        this.image = image;
        this.weight = weight;
        this.bias = bias;
        this.ps = weight.dim(2);
        this.stride = stride;
        this.d = weight.dim(0);
        this.order = order;
    }

    /** Patches of scan indices [s0, s1): (B, s1 − s0, D). */
    Tensor embed(Backend be, int s0, int s1) {
        List<Tensor> parts = new ArrayList<>();
        int s = s0;
        while (s < s1) {
            int r = order.row(s), c0 = order.col(s), n = 1;
            while (s + n < s1 && n < MAX_PIECE && order.row(s + n) == r && order.col(s + n) == c0 + n) n++;
            Tensor px = image.region(r * stride, r * stride + ps, c0 * stride, (c0 + n - 1) * stride + ps);
            parts.add(be.patchEmbed(px, weight, bias, stride));
            s += n;
        }
        if (parts.isEmpty()) return Tensor.zeros(image.batch(), 0, d);
        return parts.size() == 1 ? parts.get(0) : Tensor.concatAxis1(parts);
    }
}
