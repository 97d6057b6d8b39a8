package io.scanline.kernels.stream;

import io.scanline.kernels.tensor.Tensor;

import java.util.List;

/**
 * Stacking along the leading (batch) axis, so chunks and states of several images go through one
 * backend call. Glossary: B images; every part is (1, ...) with the same trailing shape.
 */
final class BatchAxis {
    private BatchAxis() {}

    /** (1, ...) × B → (B, ...). */
    static Tensor stack(List<Tensor> parts) {
        if (parts.size() == 1) return parts.get(0);
        int[] shape = parts.get(0).shape();
        int per = parts.get(0).numel();
        float[] out = new float[per * parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            if (p.numel() != per || p.dim(0) != 1) {
                throw new IllegalArgumentException("cannot stack " + p + " with " + parts.get(0));
            }
            System.arraycopy(p.f32(), 0, out, i * per, per);
        }
        shape[0] = parts.size();
        return Tensor.of(out, shape);
    }

    /** Copies row i of stacked (B, ...) back into targets[i] (1, ...), in place. */
    static void scatter(Tensor stacked, List<Tensor> targets) {
        if (targets.size() == 1 && targets.get(0) == stacked) return;
        int per = targets.get(0).numel();
        for (int i = 0; i < targets.size(); i++) {
            System.arraycopy(stacked.f32(), i * per, targets.get(i).f32(), 0, per);
        }
    }

    /** Row i of (B, ...) as a fresh (1, ...) tensor. */
    static Tensor row(Tensor stacked, int i) {
        int[] shape = stacked.shape();
        int per = stacked.numel() / shape[0];
        float[] out = new float[per];
        System.arraycopy(stacked.f32(), i * per, out, 0, per);
        shape[0] = 1;
        return Tensor.of(out, shape);
    }
}
