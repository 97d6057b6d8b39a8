package io.scanline.kernels.tensor;

/** Test tensors whose element i holds i, so that a copy's output names where each element came from. */
final class Iota {
    private Iota() {}

    static Tensor of(int... shape) {
        float[] v = new float[Tensor.checkedNumel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return Tensor.of(v, shape);
    }
}
