package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.scanline.kernels.backend.BicubicTaps;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;

/**
 * Per-token ops through libtorch (spec ops §4, §5, §12): the GEMMs, norms of large inputs, the gated
 * RMSNorm (a silu per element) and the bicubic resize.
 *
 * <p>Glossary: rows = product of all leading axes of a (..., C) tensor; C channels; B batch;
 * L tokens; D model width; ps patch size.
 */
final class DjlDense {
    private DjlDense() {}

    static Tensor linear(NDManager m, Tensor x, Tensor w, Tensor b) {
        int in = x.dim(-1);
        Shapes.require(w, "weight", -1, in);
        int out = w.dim(0);
        Shapes.requireOptional(b, "bias", out);
        int rows = Shapes.rows(x);
        NDArray xs = Nd.of(m, x).reshape(rows, in);
        NDArray y = xs.getNDArrayInternal().linear(xs, Nd.of(m, w), Nd.ofOptional(m, b)).singletonOrThrow();
        return Nd.toF32(y, Shapes.withLast(x.shape(), out));
    }

    static Tensor groupLayerNorm(NDManager m, Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps) {
        int c = x.dim(-1);
        checkGroups(c, groupSize);
        Shapes.requireOptional(gamma, "weight", c);
        Shapes.requireOptional(beta, "bias", c);
        int rows = Shapes.rows(x);
        NDArray xs = Nd.of(m, x).reshape(rows, c / groupSize, groupSize);
        // libtorch's layer_norm needs an affine pair; the per-channel affine is applied after the groups
        NDArray one = m.ones(new Shape(groupSize)), zero = m.zeros(new Shape(groupSize));
        NDArray y = xs.getNDArrayInternal().layerNorm(xs, new Shape(groupSize), one, zero, (float) eps).singletonOrThrow();
        y = y.reshape(rows, c);
        if (gamma != null) y = y.mul(Nd.of(m, gamma));
        if (beta != null) y = y.add(Nd.of(m, beta));
        return Nd.toF32(y, x.shape());
    }

    /** RMS normalization per group of channels, optional weight; g is the already gated input. */
    static NDArray groupRms(NDArray g, int rows, int c, int groupSize, NDArray w, double eps) {
        checkGroups(c, groupSize);
        NDArray gs = g.reshape(rows, c / groupSize, groupSize);
        NDArray inv = gs.square().mean(new int[] {2}, true).add(eps).sqrt();
        NDArray y = gs.div(inv).reshape(rows, c);
        return w == null ? y : y.mul(w);
    }

    static Tensor groupRms(NDManager m, Tensor x, int groupSize, Tensor w, double eps) {
        int c = x.dim(-1);
        Shapes.requireOptional(w, "weight", c);
        checkGroups(c, groupSize);
        int rows = Shapes.rows(x);
        return Nd.toF32(groupRms(Nd.of(m, x), rows, c, groupSize, Nd.ofOptional(m, w), eps), x.shape());
    }

    static Tensor gatedRms(NDManager m, Tensor y, Tensor z, Tensor w, int groupSize, double eps) {
        if (!y.sameShape(z)) throw new IllegalArgumentException("gated RMSNorm: y " + y + " and z " + z + " differ");
        int c = y.dim(-1);
        checkGroups(c, groupSize);
        Shapes.requireOptional(w, "weight", c);
        NDArray g = Nd.of(m, y).mul(Nd.silu(Nd.of(m, z)));
        return Nd.toF32(groupRms(g, Shapes.rows(y), c, groupSize, Nd.ofOptional(m, w), eps), y.shape());
    }

    static void checkGroups(int c, int groupSize) {
        if (groupSize < 1 || c % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide width " + c);
        }
    }

    /** im2col on the host (a pure reordering) and one GEMM: libtorch's strided conv was ~10x slower here. */
    static Tensor patchEmbed(NDManager m, Tensor img, Tensor w, Tensor b, int stride) {
        OpDims.Patch pd = OpDims.Patch.of(img, w, b, stride);
        int rows = pd.b() * pd.hp() * pd.wp(), k = pd.ch() * pd.ps() * pd.ps();
        NDArray cols = Nd.of(m, Tensor.of(HostOps.im2col(img, pd, stride), rows, k));
        NDArray y = cols.getNDArrayInternal().linear(cols, Nd.of(m, w).reshape(pd.d(), k), Nd.ofOptional(m, b)).singletonOrThrow();
        return Nd.toF32(y, pd.b(), pd.hp() * pd.wp(), pd.d());
    }

    /**
     * Bicubic resize (ops §12) as two fp64 GEMMs, out[c] = Wy · t[c] · Wxᵀ, with the interpolation
     * matrices built from the spec's per-axis taps (clamped indices accumulate their weights).
     * libtorch's own interpolate is not used: through this DJL build (mode 3) it does not keep the
     * corners fixed with align_corners = true, so it is not the PyTorch bicubic the spec defines.
     */
    static Tensor bicubic(NDManager m, Tensor t, int outH, int outW) {
        Shapes.requireRank(t, "table", 3);
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("resize target " + outH + "x" + outW);
        int c = t.dim(0), h = t.dim(1), w = t.dim(2);
        if (t.numel() == 0) throw new IllegalArgumentException("cannot resize an empty table " + Arrays.toString(t.shape()));
        NDArray wy = m.create(bicubicMatrix(h, outH), Nd.shape(outH, h));
        NDArray wx = m.create(bicubicMatrix(w, outW), Nd.shape(outW, w));
        NDArray y = wy.matMul(Nd.f64(m, t)).matMul(wx.transpose(1, 0));            // (C, outH, outW)
        return Nd.toF32(y, c, outH, outW);
    }

    /** (nOut, n) row-major: row o holds the four cubic-convolution weights of output o (ops §12). */
    static double[] bicubicMatrix(int n, int nOut) {
        double[] mat = new double[nOut * n];
        int[] idx = new int[4];
        double[] wt = new double[4];
        for (int o = 0; o < nOut; o++) {
            BicubicTaps.axis(n, nOut, o, idx, wt);
            for (int k = 0; k < 4; k++) mat[o * n + idx[k]] += wt[k];
        }
        return mat;
    }
}
