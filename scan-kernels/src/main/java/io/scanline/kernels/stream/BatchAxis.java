package io.scanline.kernels.stream;

import io.scanline.kernels.tensor.Tensor;

/** Splitting a batched result back per image. Glossary: B images. */
final class BatchAxis {
    private BatchAxis() {}

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
