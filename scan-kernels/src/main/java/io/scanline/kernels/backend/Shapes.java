package io.scanline.kernels.backend;

import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;

/** Shape checks shared by backends: a wrong call fails with the argument name and both shapes. */
public final class Shapes {
    private Shapes() {}

    public static void require(Tensor t, String name, int... expected) {
        if (t == null) throw new IllegalArgumentException(name + " is required");
        int[] s = t.shape();
        boolean ok = s.length == expected.length;
        for (int i = 0; ok && i < s.length; i++) ok = expected[i] < 0 || expected[i] == s[i];
        if (!ok) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(s) + ", expected "
                    + Arrays.toString(expected).replace("-1", "*"));
        }
    }

    public static void requireOptional(Tensor t, String name, int... expected) {
        if (t != null) require(t, name, expected);
    }

    /** Checks a {@link Backend#fillState} value for state t: F64 states (running sums) only take 0. */
    public static void requireFillable(Tensor t, float value) {
        if (t.dtype() == DType.F64 && value != 0f) throw new IllegalArgumentException("F64 states can only be filled with 0, got " + value);
    }

    /** D of x (B, L, D...) for {@link Backend#addSumAxis1}, after checking that acc is F64 and holds B·D sums. */
    public static int sumAxis1Width(Tensor x, Tensor acc) {
        if (acc.dtype() != DType.F64) throw new IllegalArgumentException("acc must be F64, got " + acc);
        int b = x.dim(0), l = x.dim(1), d = x.numel() == 0 ? 0 : (int) (x.numel() / ((long) b * l));
        if (acc.numel() != b * d) throw new IllegalArgumentException("acc has " + acc.numel() + " sums, x needs " + b * d);
        return d;
    }

    public static void requireRank(Tensor t, String name, int rank) {
        if (t.rank() != rank) throw new IllegalArgumentException(name + " must have rank " + rank + ", has shape "
                + Arrays.toString(t.shape()));
    }

    /** {@code shape} with its last axis replaced by {@code last}: the output shape of a per-row op. */
    public static int[] withLast(int[] shape, int last) {
        int[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    /** Product of all dims except the last: the number of "rows" of a (..., C) tensor. */
    public static int rows(Tensor t) {
        return t.numel() / Math.max(1, t.dim(-1));
    }
}
