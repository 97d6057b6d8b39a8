package io.scanline.kernels.model.mamba;

import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

/**
 * The weights of one Mamba-1 scan direction (spec ops §8.2), prepared for the backend ops: x_proj is
 * split row-wise into its [dt | B | C] parts so that no op has to split a tensor's last axis, and A is
 * formed once as −exp(A_log) (optionally divided by De-focus's delta_scale_factor, see
 * {@link DefocusMixer}).
 *
 * <p>Glossary: E inner width, N state size, R dt rank, K conv width.
 */
record Mamba1Params(Tensor convW, Tensor convB, Tensor wDt, Tensor wB, Tensor wC, Tensor dtW, Tensor dtB,
                    Tensor a, Tensor d, int e, int n, int r, int k) {

    /**
     * Loads {@code prefix + conv1d<sfx>.weight}, {@code x_proj<sfx>.weight}, {@code dt_proj<sfx>.*},
     * {@code A<sfx>_log} and {@code D<sfx>} (Vim/ARM naming: sfx "", "_b", "_c", "_c_b").
     */
    static Mamba1Params load(Weights w, String prefix, String sfx, int e, int n, int r, int k, double aScale) {
        Tensor convW = w.get(prefix + "conv1d" + sfx + ".weight", e, 1, k).reshape(e, k);
        Tensor convB = w.get(prefix + "conv1d" + sfx + ".bias", e);
        Tensor xp = w.get(prefix + "x_proj" + sfx + ".weight", r + 2 * n, e).reshape(1, r + 2 * n, e);
        Tensor dtW = w.get(prefix + "dt_proj" + sfx + ".weight", e, r);
        Tensor dtB = w.get(prefix + "dt_proj" + sfx + ".bias", e);
        Tensor aLog = w.get(prefix + "A" + sfx + "_log", e, n);
        Tensor d = w.get(prefix + "D" + sfx, e);
        float[] al = aLog.f32(), a = new float[al.length];
        for (int i = 0; i < a.length; i++) a[i] = (float) (-Math.exp(al[i]) / aScale);
        return new Mamba1Params(convW, convB,
                xp.sliceAxis1(0, r).reshape(r, e), xp.sliceAxis1(r, r + n).reshape(n, e),
                xp.sliceAxis1(r + n, r + 2 * n).reshape(n, e), dtW, dtB, Tensor.of(a, e, n), d, e, n, r, k);
    }

    /** Floats of one direction's carried state per image: conv tail (K−1, E) and h (E, N). */
    long stateFloats() {
        return (long) (k - 1) * e + (long) e * n;
    }
}
