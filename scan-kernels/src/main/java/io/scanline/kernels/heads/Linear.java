package io.scanline.kernels.heads;

import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

/**
 * A per-token linear map {@code y = x W^T + b} (nn.Linear layout). Glossary: n tokens, in input width,
 * out output width. Accumulates in double so results do not depend on how tokens are batched.
 */
final class Linear {
    final int in, out;
    private final float[] w, b;

    Linear(float[] w, float[] b, int out, int in) {
        if (w.length != out * in || (b != null && b.length != out)) {
            throw new IllegalArgumentException("linear " + out + "x" + in + ": weight has " + w.length
                    + " values, bias " + (b == null ? "none" : b.length));
        }
        this.w = w;
        this.b = b;
        this.in = in;
        this.out = out;
    }

    /** Reads {@code key.weight} (out, in) and {@code key.bias} (out), both required. */
    static Linear load(Weights weights, String key, int out, int in) {
        Tensor w = weights.get(key + ".weight", out, in);
        Tensor b = weights.get(key + ".bias", out);
        return new Linear(w.toF32().f32(), b.toF32().f32(), out, in);
    }

    /** Output width of a stored {@code key.weight}, for heads whose width the config does not give. */
    static int outWidth(Weights weights, String key) {
        return weights.shapeOf(key + ".weight")[0];
    }

    /** x (n, in) row-major -> (n, out). */
    float[] apply(float[] x, int n) {
        if (x.length < (long) n * in) {
            throw new IllegalArgumentException("linear input has " + x.length + " values, needs " + n + "x" + in);
        }
        float[] y = new float[n * out];
        for (int t = 0; t < n; t++) {
            int xo = t * in;
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                int wo = o * in;
                for (int i = 0; i < in; i++) s += (double) x[xo + i] * w[wo + i];
                y[t * out + o] = (float) s;
            }
        }
        return y;
    }
}
