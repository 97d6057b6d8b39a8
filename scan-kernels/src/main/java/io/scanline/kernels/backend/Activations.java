package io.scanline.kernels.backend;

/** Scalar functions of spec ops §3, in double. */
public final class Activations {
    private Activations() {}

    public static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    public static double silu(double x) {
        return x / (1.0 + Math.exp(-x));
    }

    /** PyTorch softplus with threshold 20: linear above it. */
    public static double softplus(double x) {
        return x > 20.0 ? x : Math.log1p(Math.exp(x));
    }

    public static double logsigmoid(double x) {
        return Math.min(x, 0.0) - Math.log1p(Math.exp(-Math.abs(x)));
    }
}
