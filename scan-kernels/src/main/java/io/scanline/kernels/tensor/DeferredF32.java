package io.scanline.kernels.tensor;

/**
 * F32 data that lives somewhere else (a GPU buffer) until host code asks for it: the host array is
 * produced once, on the first host read, and cached; every {@link Tensor} sharing this object
 * (reshapes) then sees the same array.
 *
 * <p>Contract for implementations: {@link #produce()} returns a fresh array of {@link #length()}
 * floats; after it ran, the outside copy is no longer authoritative (host code may write into the
 * array), so {@link #afterMaterialize()} is the place to release it. Both run under {@link #lock()}
 * (the owner's lock, so that the owner's ops and a materialization never interleave).
 */
public abstract class DeferredF32 {
    private final int length;
    private volatile float[] host;

    protected DeferredF32(int length) {
        if (length < 0) throw new IllegalArgumentException("negative length " + length);
        this.length = length;
    }

    public final int length() { return length; }

    /** True once the host array exists; from then on the host array is the data. */
    public final boolean materialized() { return host != null; }

    /** The host array, produced on first call. */
    public final float[] host() {
        float[] h = host;
        if (h != null) return h;
        synchronized (lock()) {
            if (host == null) {
                float[] made = produce();
                if (made.length != length) {
                    throw new IllegalStateException("deferred data produced " + made.length + " floats, expected " + length);
                }
                host = made;
                afterMaterialize();
            }
            return host;
        }
    }

    /** Copies the data to a new host array of {@link #length()} floats. */
    protected abstract float[] produce();

    /** Called once, right after {@link #produce()}; the default keeps nothing to release. */
    protected void afterMaterialize() {}

    /** The monitor both {@link #produce()} and the owner's own uses of the outside copy hold. */
    protected Object lock() { return this; }
}
