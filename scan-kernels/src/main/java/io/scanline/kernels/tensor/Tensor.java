package io.scanline.kernels.tensor;

import java.util.Arrays;

/**
 * A dense, row-major (C order) host tensor of F32 or F64 elements.
 *
 * <p>F16 and BF16 data are widened to F32 when read, so only the two compute types exist in memory.
 * A tensor is a plain value holder: shape plus one primitive array; views are not supported, which
 * keeps every backend's contract simple (contiguous in, contiguous out).
 *
 * <p>An F32 tensor may instead hold {@link DeferredF32} data (a backend's device-resident output):
 * its host array is produced on the first host access ({@link #f32()}, {@link #getDouble}, and every
 * method here, which all read through {@link #f32()}), so a chain of backend ops never copies to the
 * host. {@link #deferred()} lets the backend that made it find its own copy again.
 *
 * <p>A host F32 array may also have a {@link HostMirror}: a newer copy on a device (carried state that
 * a device backend updates in place). Every host read pulls that copy first, so host code always sees
 * the current data; it must not keep an array it got from {@link #f32()} across backend calls.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final float[] f32;   // non-null iff dtype == F32 and the data is on the host from the start
    private final double[] f64;  // non-null iff dtype == F64
    private final DeferredF32 lazy; // non-null iff dtype == F32 and f32 == null

    private Tensor(DType dtype, int[] shape, float[] f32, double[] f64) {
        this(dtype, shape, f32, f64, null);
    }

    private Tensor(DType dtype, int[] shape, float[] f32, double[] f64, DeferredF32 lazy) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.f32 = f32;
        this.f64 = f64;
        this.lazy = lazy;
        long n = numel(shape);
        long have = f32 != null ? f32.length : f64 != null ? f64.length : lazy.length();
        if (n != have) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, data has " + have);
        }
    }

    /** An F32 tensor whose data is produced on first host access (see the class comment). */
    public static Tensor deferred(DeferredF32 data, int... shape) {
        if (data == null) throw new IllegalArgumentException("deferred data is null");
        return new Tensor(DType.F32, shape, null, null, data);
    }

    /** The deferred data while it is not yet on the host, else null (host data from the start or materialized). */
    public DeferredF32 deferred() {
        return lazy != null && !lazy.materialized() ? lazy : null;
    }

    /** Host F32 data (materializing deferred data, pulling a newer mirrored copy), or null for F64. */
    private float[] data32() {
        if (f32 != null) {
            HostMirror.syncBeforeHostRead(f32);
            return f32;
        }
        return lazy != null ? lazy.host() : null;
    }

    /** Host F64 data, pulling a newer mirrored copy first. */
    private double[] data64() {
        HostMirror.syncBeforeHostRead(f64);
        return f64;
    }

    /** The host array (float[] or double[]) as it is, without pulling a mirror's newer copy (for {@link HostMirror}); null for deferred data. */
    Object hostArrayOrNull() { return f32 != null ? f32 : f64; }

    public static Tensor of(float[] data, int... shape) {
        return new Tensor(DType.F32, shape, data, null);
    }

    public static Tensor of(double[] data, int... shape) {
        return new Tensor(DType.F64, shape, null, data);
    }

    public static Tensor zeros(int... shape) {
        return of(new float[checkedNumel(shape)], shape);
    }

    public static Tensor full(float value, int... shape) {
        float[] d = new float[checkedNumel(shape)];
        Arrays.fill(d, value);
        return of(d, shape);
    }

    public static Tensor zerosF64(int... shape) {
        return of(new double[checkedNumel(shape)], shape);
    }

    /** Number of elements of a shape, as a long so callers can reject absurd shapes before allocating. */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE) return Long.MAX_VALUE;
        }
        return n;
    }

    public static int checkedNumel(int[] shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape)
                    + " exceeds the 2^31 elements of one host array");
        }
        return (int) n;
    }

    public DType dtype() { return dtype; }

    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public int numel() { return f32 != null ? f32.length : f64 != null ? f64.length : lazy.length(); }

    public long bytes() { return (long) numel() * dtype.bytes; }

    /** The backing F32 array (no copy). Fails for F64 tensors: convert with {@link #toF32()}. */
    public float[] f32() {
        if (dtype != DType.F32) throw new IllegalStateException("tensor is " + dtype + ", not F32");
        return data32();
    }

    /** The backing F64 array (no copy). Fails for F32 tensors: convert with {@link #toF64()}. */
    public double[] f64() {
        if (f64 == null) throw new IllegalStateException("tensor is " + dtype + ", not F64");
        return data64();
    }

    /** Element i (flat index) widened to double, whatever the dtype. */
    public double getDouble(int i) {
        return f64 != null ? data64()[i] : data32()[i];
    }

    public Tensor toF32() {
        if (f64 == null) return this;
        double[] src = data64();
        float[] d = new float[src.length];
        for (int i = 0; i < d.length; i++) d[i] = (float) src[i];
        return of(d, shape);
    }

    public Tensor toF64() {
        if (f64 != null) return this;
        float[] src = data32();
        double[] d = new double[src.length];
        for (int i = 0; i < d.length; i++) d[i] = src[i];
        return of(d, shape);
    }

    public Tensor copy() {
        return f64 == null ? of(data32().clone(), shape) : of(data64().clone(), shape);
    }

    /** Same data, new shape (no copy; deferred data stays deferred and shared, a mirror stays attached). */
    public Tensor reshape(int... newShape) {
        if (lazy != null && !lazy.materialized()) return new Tensor(DType.F32, newShape, null, null, lazy);
        if (f32 != null) return of(f32, newShape);
        return f64 == null ? of(data32(), newShape) : of(f64, newShape);
    }

    /**
     * Swaps two axes, copying. Used to move between the channel-major layout of the official op code,
     * (b, E, L), and the token-major layout of the engine, (b, L, E).
     */
    public Tensor transpose(int a, int b) {
        int r = shape.length;
        int[] ns = shape.clone();
        ns[a] = shape[b];
        ns[b] = shape[a];
        int[] srcStride = strides(shape);
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[a] = b;
        perm[b] = a;
        int n = numel();
        int[] idx = new int[r];
        float[] f32 = data32();
        float[] o32 = f32 != null ? new float[n] : null;
        double[] f64 = this.f64 != null ? data64() : null;
        double[] o64 = f64 != null ? new double[n] : null;
        for (int out = 0; out < n; out++) {
            int src = 0;
            for (int i = 0; i < r; i++) src += idx[i] * srcStride[perm[i]];
            if (o32 != null) o32[out] = f32[src]; else o64[out] = f64[src];
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < ns[i]) break;
                idx[i] = 0;
            }
        }
        return o32 != null ? of(o32, ns) : of(o64, ns);
    }

    /**
     * Axis 1 reversed (rank >= 2), copied: a (B, L, ...) sequence in backward scan order. F32 only.
     */
    public Tensor flipAxis1() {
        if (shape.length < 2) throw new IllegalArgumentException("flip of axis 1 needs rank >= 2, got " + Arrays.toString(shape));
        if (dtype != DType.F32) throw new IllegalArgumentException("flip of axis 1 is for F32 tensors, got " + dtype);
        int b = shape[0], l = shape[1], inner = perPosition(shape);
        float[] src = f32(), out = new float[src.length];
        for (int bi = 0; bi < b; bi++) {
            for (int t = 0; t < l; t++) System.arraycopy(src, (bi * l + t) * inner, out, (bi * l + (l - 1 - t)) * inner, inner);
        }
        return of(out, shape.clone());
    }

    /**
     * Rows [from, to) along axis 1 of a tensor of rank >= 2, copied: the chunk of a (B, L, ...) sequence.
     */
    public Tensor sliceAxis1(int from, int to) {
        if (from < 0 || to < from || to > shape[1]) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of axis of size " + shape[1]);
        }
        int inner = perPosition(shape);
        int[] ns = shape.clone();
        ns[1] = to - from;
        int b = shape[0];
        int rowsIn = shape[1] * inner, rowsOut = ns[1] * inner;
        float[] f32 = data32();
        if (f32 != null) {
            float[] o = new float[b * rowsOut];
            for (int i = 0; i < b; i++) System.arraycopy(f32, i * rowsIn + from * inner, o, i * rowsOut, rowsOut);
            return of(o, ns);
        }
        double[] o = new double[b * rowsOut];
        double[] f64 = data64();
        for (int i = 0; i < b; i++) System.arraycopy(f64, i * rowsIn + from * inner, o, i * rowsOut, rowsOut);
        return of(o, ns);
    }

    /**
     * Channels [from, to) of the last axis, copied (all leading axes flattened into rows): the pieces of
     * a split like [x | z] of a projection output. F32 only.
     */
    public Tensor columns(int from, int to) {
        if (dtype != DType.F32) throw new IllegalArgumentException("columns are for F32 tensors, got " + dtype);
        int c = dim(-1);
        if (from < 0 || to < from || to > c) {
            throw new IndexOutOfBoundsException("columns [" + from + ", " + to + ") of a last axis of " + c);
        }
        int rows = numel() / Math.max(1, c), w = to - from;
        float[] src = f32(), out = new float[rows * w];
        for (int r = 0; r < rows; r++) System.arraycopy(src, r * c + from, out, r * w, w);
        int[] ns = shape.clone();
        ns[ns.length - 1] = w;
        return of(out, ns);
    }

    /**
     * Positions idx[0..n) of axis 1, in that order, copied: (B, n, ...). The rows of a column-order
     * chunk read from a row-major barrier store. F32 only.
     */
    public Tensor gatherAxis1(int[] idx) {
        int[] ns = gatherShape(this, idx);
        int inner = perPosition(shape), l = shape[1], b = shape[0];
        float[] src = f32(), out = new float[Math.multiplyExact(Math.multiplyExact(b, idx.length), inner)];
        for (int bi = 0; bi < b; bi++) {
            for (int j = 0; j < idx.length; j++) {
                System.arraycopy(src, (bi * l + idx[j]) * inner, out, (bi * idx.length + j) * inner, inner);
            }
        }
        return of(out, ns);
    }

    /**
     * Writes rows (B, n, ...) at positions idx[0..n) of axis 1 of this tensor, in place; the positions
     * must be distinct (a device scatter writes them in any order). F32 only.
     */
    public void scatterAxis1(int[] idx, Tensor rows) {
        checkScatter(this, idx, rows);
        int inner = perPosition(shape), l = shape[1], b = shape[0];
        float[] src = rows.f32(), dst = f32();
        for (int bi = 0; bi < b; bi++) {
            for (int j = 0; j < idx.length; j++) {
                System.arraycopy(src, (bi * idx.length + j) * inner, dst, (bi * l + idx[j]) * inner, inner);
            }
        }
    }

    /** Elements per position of axis 1 of a (B, L, ...) shape: the product of the axes after it. */
    public static int perPosition(int[] shape) {
        int inner = 1;
        for (int i = 2; i < shape.length; i++) inner *= shape[i];
        return inner;
    }

    /** The shape of {@link #gatherAxis1}'s result, after checking x and the positions (device backends' gathers too). */
    public static int[] gatherShape(Tensor x, int[] idx) {
        checkAxis1F32("gather", x);
        checkAxis1Positions(idx, x.shape[1], false);
        int[] ns = x.shape.clone();
        ns[1] = idx.length;
        return ns;
    }

    /** Checks the arguments of {@link #scatterAxis1} (device backends' scatters too). */
    public static void checkScatter(Tensor into, int[] idx, Tensor rows) {
        checkAxis1F32("scatter", into);
        checkAxis1Positions(idx, into.shape[1], true);
        int[] want = into.shape.clone();
        want[1] = idx.length;
        if (rows.dtype != DType.F32 || !Arrays.equals(want, rows.shape)) {
            throw new IllegalArgumentException("scatter of rows " + rows + " into " + into + " at " + idx.length
                    + " positions needs F32 rows " + Arrays.toString(want));
        }
    }

    private static void checkAxis1F32(String what, Tensor t) {
        if (t.shape.length < 2) throw new IllegalArgumentException(what + " along axis 1 needs rank >= 2, got " + t);
        if (t.dtype != DType.F32) throw new IllegalArgumentException(what + " along axis 1 is for F32 tensors, got " + t.dtype);
    }

    /** Checks positions for {@link #gatherAxis1} / {@link #scatterAxis1}. */
    private static void checkAxis1Positions(int[] idx, int length, boolean distinct) {
        java.util.BitSet seen = distinct ? new java.util.BitSet(length) : null;
        for (int j = 0; j < idx.length; j++) {
            int p = idx[j];
            if (p < 0 || p >= length) throw new IndexOutOfBoundsException("position " + p + " (index " + j + ") of an axis of " + length);
            if (seen != null) {
                if (seen.get(p)) throw new IllegalArgumentException("position " + p + " given twice to a scatter");
                seen.set(p);
            }
        }
    }

    /** Concatenates tensors along axis 1 (the token axis of (B, L, ...)); all must share dtype and other dims. */
    public static Tensor concatAxis1(java.util.List<Tensor> parts) {
        Tensor first = parts.get(0);
        int[] ns = first.shape.clone();
        int total = 0;
        for (Tensor p : parts) {
            if (p.rank() != ns.length || p.dtype != first.dtype) throw new IllegalArgumentException("concat: rank/dtype mismatch");
            total += p.shape[1];
        }
        ns[1] = total;
        Tensor out = first.dtype == DType.F32 ? zeros(ns) : zerosF64(ns);
        int inner = perPosition(ns);
        int offset = 0;
        for (Tensor p : parts) {
            int rows = p.shape[1] * inner;
            for (int b = 0; b < ns[0]; b++) {
                Object src = p.f64 != null ? p.data64() : p.data32();
                Object dst = out.f64 != null ? out.f64 : out.f32;
                System.arraycopy(src, b * rows, dst, b * total * inner + offset * inner, rows);
            }
            offset += p.shape[1];
        }
        return out;
    }

    /** Batch element b of a tensor with a leading batch axis, copied, keeping a batch axis of 1. */
    public Tensor batch(int b) {
        int inner = numel() / shape[0];
        int[] ns = shape.clone();
        ns[0] = 1;
        return f64 == null ? of(Arrays.copyOfRange(data32(), b * inner, (b + 1) * inner), ns)
                : of(Arrays.copyOfRange(data64(), b * inner, (b + 1) * inner), ns);
    }

    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    public boolean sameShape(Tensor o) {
        return Arrays.equals(shape, o.shape);
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + ", " + Arrays.toString(shape) + ")";
    }
}
