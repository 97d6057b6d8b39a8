package io.scanline.kernels.backend;

/**
 * The per-axis taps of the PyTorch-identical bicubic resize (spec ops §12: align_corners = False,
 * A = −0.75, source coordinate not clamped at 0, tap indices clamped to the input), shared by every
 * backend's resize and by the row-by-row positional table so they cannot drift apart.
 *
 * <p>Glossary: n input size along the axis, n' output size, o output index.
 */
public final class BicubicTaps {
    private BicubicTaps() {}

    private static final double A = -0.75;

    /** Writes the 4 clamped source indices and weights of output o into idx and w (length 4 each). */
    public static void axis(int n, int nOut, int o, int[] idx, double[] w) {
        double scale = (double) n / nOut;
        double r = scale * (o + 0.5) - 0.5;      // not clamped at 0
        int i0 = (int) Math.floor(r);
        double t = r - i0;
        w[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
        w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
        w[2] = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
        w[3] = ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A;
        for (int k = 0; k < 4; k++) idx[k] = Math.min(Math.max(i0 - 1 + k, 0), n - 1);
    }
}
