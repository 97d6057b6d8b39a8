package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.Tensor;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/** Copies between host {@link Tensor}s and libtorch arrays, and a few activations spelled once. */
final class Nd {
    private Nd() {}

    static Shape shape(int... dims) {
        long[] s = new long[dims.length];
        for (int i = 0; i < dims.length; i++) s[i] = dims[i];
        return new Shape(s);
    }

    /** The tensor's values on the libtorch side, same dtype (F32 or F64). */
    static NDArray of(NDManager m, Tensor t) {
        if (t.dtype() == DType.F64) return m.create(DoubleBuffer.wrap(t.f64()), shape(t.shape()));
        return m.create(FloatBuffer.wrap(t.f32()), shape(t.shape()));
    }

    static NDArray ofOptional(NDManager m, Tensor t) {
        return t == null ? null : of(m, t);
    }

    static NDArray f64(NDManager m, Tensor t) {
        return of(m, t).toType(DataType.FLOAT64, false);
    }

    /** Back to a host F32 tensor of the given shape (rounding F64 once). */
    static Tensor toF32(NDArray a, int... shape) {
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        return Tensor.of(f.toFloatArray(), shape);
    }

    /** Writes an array's values into an existing F32 tensor (the in/out state convention). */
    static void copyInto(NDArray a, Tensor dst) {
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        float[] v = f.toFloatArray();
        if (v.length != dst.numel()) throw new IllegalStateException("state size " + v.length + " vs " + dst);
        System.arraycopy(v, 0, dst.f32(), 0, v.length);
    }

    static NDArray sigmoid(NDArray x) {
        return x.getNDArrayInternal().sigmoid();
    }

    static NDArray silu(NDArray x) {
        return x.mul(sigmoid(x));
    }

    /** PyTorch softplus (beta 1, threshold 20: linear above it), as spec ops §3. */
    static NDArray softplus(NDArray x) {
        return x.getNDArrayInternal().softPlus();
    }

    /** logsigmoid(x) = −softplus(−x); above the threshold softplus is exact to fp rounding. */
    static NDArray logsigmoid(NDArray x) {
        return softplus(x.neg()).neg();
    }
}
