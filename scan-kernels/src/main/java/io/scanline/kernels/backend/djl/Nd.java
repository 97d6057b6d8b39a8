package io.scanline.kernels.backend.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    /**
     * The tensor's values on the libtorch side, same dtype (F32 or F64): one copy into a staging
     * buffer of the running op, wrapped without a second copy (see {@link Staging}).
     */
    static NDArray of(NDManager m, Tensor t) {
        Staging st = Staging.current();
        boolean f64 = t.dtype() == DType.F64;
        if (st == null || t.numel() == 0) {
            return f64 ? m.create(DoubleBuffer.wrap(t.f64()), shape(t.shape())) : m.create(FloatBuffer.wrap(t.f32()), shape(t.shape()));
        }
        ByteBuffer b = st.take(t.numel() * (f64 ? 8 : 4));
        if (f64) b.asDoubleBuffer().put(t.f64()); else b.asFloatBuffer().put(t.f32());
        return m.create(b, shape(t.shape()), f64 ? DataType.FLOAT64 : DataType.FLOAT32);
    }

    /** The values of an F32 array as a new host array: one copy out of libtorch's memory. */
    static float[] floats(NDArray a) {
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        float[] v = new float[Math.toIntExact(f.size())];
        if (v.length > 0) f.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(v);
        return v;
    }

    static NDArray of(NDManager m, float[] data, int... shape) {
        return of(m, Tensor.of(data, shape));
    }

    static NDArray ofOptional(NDManager m, Tensor t) {
        return t == null ? null : of(m, t);
    }

    static NDArray f64(NDManager m, Tensor t) {
        return of(m, t).toType(DataType.FLOAT64, false);
    }

    /** Back to a host F32 tensor of the given shape (rounding F64 once). */
    static Tensor toF32(NDArray a, int... shape) {
        return Tensor.of(floats(a), shape);
    }

    /** Writes an array's values into an existing F32 tensor (the in/out state convention). */
    static void copyInto(NDArray a, Tensor dst) {
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        if (f.size() != dst.numel()) throw new IllegalStateException("state size " + f.size() + " vs " + dst);
        if (dst.numel() > 0) f.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(dst.f32());
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
