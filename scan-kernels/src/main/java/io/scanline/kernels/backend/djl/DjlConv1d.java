package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.Tensor;

/**
 * Causal depthwise conv1d with a carried tail (spec ops §7.1) as one grouped libtorch conv1d over
 * concat(tail, x). Glossary: B batch, L tokens of this chunk, C channels, K taps.
 */
final class DjlConv1d {
    private DjlConv1d() {}

    static Tensor run(NDManager m, Tensor x, Tensor w, Tensor bias, Tensor tail, boolean silu) {
        Shapes.requireRank(x, "x", 3);
        int b = x.dim(0), l = x.dim(1), c = x.dim(2);
        Shapes.require(w, "w", c, -1);
        int k = w.dim(1);
        if (k < 1) throw new IllegalArgumentException("conv width must be >= 1, got " + k);
        Shapes.requireOptional(bias, "bias", c);
        Shapes.require(tail, "tail", b, k - 1, c);
        if (l == 0 || b == 0 || c == 0) return Tensor.zeros(b, l, c);       // tail unchanged (ops §7.1: L = 0)
        NDArray xx = Nd.of(m, x);
        if (k > 1) xx = Nd.of(m, tail).concat(xx, 1);                       // (B, L+K-1, C)
        NDArray in = xx.transpose(0, 2, 1);                                 // (B, C, L+K-1)
        NDArray y = in.getNDArrayInternal().convolution(in, Nd.of(m, w).reshape(c, 1, k), Nd.ofOptional(m, bias),
                new Shape(1), new Shape(0), new Shape(1), c).singletonOrThrow();
        if (silu) y = Nd.silu(y);
        Tensor out = Nd.toF32(y.transpose(0, 2, 1), b, l, c);
        if (k > 1) Nd.copyInto(xx.get(new NDIndex(":, {}:", l)), tail);    // last K-1 rows of concat(tail, x)
        return out;
    }
}
