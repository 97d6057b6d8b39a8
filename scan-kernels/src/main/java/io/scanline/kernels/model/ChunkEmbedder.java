package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Patch embedding (spec ops §4.1) of the patches of a range of scan indices, in scan order. Runs of
 * patches that are adjacent in one grid row, and stacks of such runs over the same columns of the
 * following grid rows (whole rows in raster order), are embedded together from one pixel window read
 * with {@link ImageSource#region}: the op's raster output over that rectangle is then the scan order.
 * At most {@link #MAX_PIECE} patches go into one op call, so the op working set depends on neither
 * the image width nor the chunk length. Every family embeds through this class:
 * raster order (D6) via {@link #raster}, other scan orders (De-focus tiles) via a {@link ScanOrder}.
 *
 * <p>Glossary: B images, ps patch size, st stride, Hp × Wp patch grid, D width, n patches of the range.
 */
public final class ChunkEmbedder {
    /**
     * Patches per patch-embedding call: a bound on its working set (~12.6 MB of pixels per image at
     * ps = 16, about what a 4096-token chunk's activations take at D 768), not a semantic choice. Large
     * enough that a chunk of whole rows is one call: each call reads its pixel window and moves it to the
     * backend once, and on a GPU backend that upload waits for the work queued before it (256 patches a
     * call, one 4096-pixel row at 4096², made patch embedding 14-19% of a ViL-tiny forward on an H100;
     * 16 a call made it ~10% of a 224² forward on the djl backend).
     */
    public static final int MAX_PIECE = 4096;

    /** Where the patch of scan index s sits on the embedded patch grid. */
    public interface ScanOrder {
        int row(int s);

        int col(int s);
    }

    /** The patch grid of an image: Hp × Wp patches (spec ops §4.1). */
    public record Grid(int hp, int wp) {
        public int tokens() { return hp * wp; }

        /** Grid of an h × w image; fails when the image is smaller than one patch. */
        public static Grid of(int h, int w, int ps, int stride) {
            if (h < ps || w < ps) throw new IllegalArgumentException("image " + h + "x" + w + " is smaller than one patch of " + ps);
            if (stride < 1) throw new IllegalArgumentException("stride must be >= 1, got " + stride);
            return new Grid((h - ps) / stride + 1, (w - ps) / stride + 1);
        }
    }

    private final ImageSource image;
    private final Tensor weight, bias;   // (D, 3, ps, ps), (D)
    private final int ps, stride, d;
    private final ScanOrder order;

    public ChunkEmbedder(ImageSource image, Tensor weight, Tensor bias, int stride, ScanOrder order) {
        if (weight.rank() != 4 || weight.dim(1) != 3 || weight.dim(2) != weight.dim(3)) {
            throw new IllegalArgumentException("patch weight must be (D, 3, ps, ps), got " + weight);
        }
        this.image = image;
        this.weight = weight;
        this.bias = bias;
        this.ps = weight.dim(2);
        this.stride = stride;
        this.d = weight.dim(0);
        this.order = order;
    }

    /** Raster order s = r·Wp + c over the image's own patch grid. */
    public static ChunkEmbedder raster(ImageSource image, Tensor weight, Tensor bias, int stride) {
        Grid g = Grid.of(image.height(), image.width(), weight.dim(2), stride);
        int wp = g.wp();
        return new ChunkEmbedder(image, weight, bias, stride, new ScanOrder() {
            @Override public int row(int s) { return s / wp; }
            @Override public int col(int s) { return s % wp; }
        });
    }

    /** Patches of scan indices [s0, s1): (B, s1 − s0, D). */
    public Tensor embed(Backend be, int s0, int s1) {
        try (OpScope scope = be.opScope()) {   // the pieces die once joined
            return scope.keep(embedPieces(be, s0, s1));
        }
    }

    private Tensor embedPieces(Backend be, int s0, int s1) {
        List<Tensor> parts = new ArrayList<>();
        int s = s0;
        while (s < s1) {
            int r = order.row(s), c0 = order.col(s), n = 1;
            while (s + n < s1 && n < MAX_PIECE && order.row(s + n) == r && order.col(s + n) == c0 + n) n++;
            int k = 1;                                         // grid rows of the rectangle
            while ((k + 1) * n <= MAX_PIECE && s + (k + 1) * n <= s1 && sameColumns(s + k * n, r + k, c0, n)) k++;
            Tensor px = image.region(r * stride, (r + k - 1) * stride + ps, c0 * stride, (c0 + n - 1) * stride + ps);
            parts.add(be.patchEmbed(px, weight, bias, stride));
            s += k * n;
        }
        if (parts.isEmpty()) return Tensor.zeros(image.batch(), 0, d);
        return parts.size() == 1 ? parts.get(0) : be.concatAxis1(parts);
    }

    /** Whether scan indices [s, s + n) are patches c0 … c0 + n − 1 of grid row r, in that order. */
    private boolean sameColumns(int s, int r, int c0, int n) {
        for (int i = 0; i < n; i++) {
            if (order.row(s + i) != r || order.col(s + i) != c0 + i) return false;
        }
        return true;
    }
}
