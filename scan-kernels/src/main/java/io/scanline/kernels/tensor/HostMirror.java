package io.scanline.kernels.tensor;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.WeakHashMap;

/**
 * A newer copy of a host F32 or F64 array kept somewhere else: a device backend's copy of carried state
 * (SSM state, conv tail, mLSTM C/n/m, fp64 running sums), which its ops read and overwrite in place call
 * after call, so that a chunked pass never moves its state between host and device.
 *
 * <p>The mirror belongs to the array, not to one {@link Tensor}: every tensor over the same array
 * (reshapes, {@code Tensor.of(t.f32(), ...)}) sees it. Any host read of such a tensor ({@link Tensor#f32()},
 * {@link Tensor#f64()} and every method that reads data) first {@link #pull pulls} the newer copy into the array and
 * detaches the mirror: from then on the host array is the data again (host code may write into it),
 * and the owner uploads it afresh on its next use. While no mirror is attached anywhere, the check on
 * a host read is one volatile read.
 *
 * <p>The owner keeps its mirrors reachable itself and drains {@code queue} to free the copies of arrays
 * nobody refers to any more. {@link #pull} and {@link #afterDetach} run under {@link #lock()}, the
 * owner's monitor, so an op of the owner never sees its copy freed under it.
 */
public abstract class HostMirror {
    private static final Object REGISTRY = new Object();
    // arrays have identity equals/hashCode, so this is an identity map that forgets collected arrays
    private static final WeakHashMap<Object, HostMirror> BY_ARRAY = new WeakHashMap<>();
    private static volatile int attachedCount;

    private final WeakReference<Object> array;   // the float[] or double[] mirrored
    private boolean attached;

    /**
     * Attaches a new mirror to the host array of {@code t}.
     *
     * @throws IllegalArgumentException when t has no host array (deferred data) or already has a mirror
     */
    protected HostMirror(Tensor t, ReferenceQueue<Object> queue) {
        Object a = t.hostArrayOrNull();
        if (a == null) throw new IllegalArgumentException("only tensors with host data can be mirrored, got " + t);
        this.array = new WeakReference<>(a, queue);
        synchronized (REGISTRY) {
            if (BY_ARRAY.containsKey(a)) throw new IllegalArgumentException("tensor already mirrored: " + t);
            BY_ARRAY.put(a, this);
            attached = true;
            attachedCount++;
        }
    }

    /** True when t holds its data in a host array of its own (F32 or F64, not deferred data), which can be mirrored. */
    public static boolean canMirror(Tensor t) {
        return t != null && t.hostArrayOrNull() != null;
    }

    /** The mirror attached to t's host array, or null (none, or t has no host array). */
    public static HostMirror of(Tensor t) {
        Object a = t.hostArrayOrNull();
        if (a == null || attachedCount == 0) return null;
        synchronized (REGISTRY) {
            return BY_ARRAY.get(a);
        }
    }

    /** Mirrors attached now, over all owners. */
    public static int attachedCount() { return attachedCount; }

    /** The reference the owner's queue receives once the array is unreachable. */
    public final WeakReference<Object> reference() { return array; }

    /** True until the data was pulled to the host or the owner detached this. */
    public final boolean attached() {
        synchronized (REGISTRY) {
            return attached;
        }
    }

    /**
     * Pulls the newer copy into the host array (when it is still reachable) and detaches: used by the
     * owner when it closes, so that no state is lost with it.
     */
    public final void pullAndDetach() {
        synchronized (lock()) {
            Object a = array.get();
            if (a != null && attached()) pull(a);
            detach();
        }
    }

    /** Detaches without pulling: the host array keeps what it had; {@link #afterDetach} runs. */
    public final void detach() {
        synchronized (lock()) {
            boolean was;
            synchronized (REGISTRY) {
                was = attached;
                if (was) {
                    attached = false;
                    attachedCount--;
                    Object a = array.get();
                    if (a != null && BY_ARRAY.get(a) == this) BY_ARRAY.remove(a);
                }
            }
            if (was) afterDetach();
        }
    }

    /** Called by {@link Tensor} before every host read of {@code a}. */
    static void syncBeforeHostRead(Object a) {
        if (attachedCount == 0) return;
        HostMirror m;
        synchronized (REGISTRY) {
            m = BY_ARRAY.get(a);
        }
        // the owner's lock is taken outside the registry's: the owner attaches while holding its own
        if (m != null) m.pullAndDetach();
    }

    /** Copies the newer data into {@code into}, the mirrored array: a float[] or a double[] as the tensor's dtype. */
    protected abstract void pull(Object into);

    /** The copy is no longer the data: the owner may free it. Runs once. */
    protected abstract void afterDetach();

    /** The owner's monitor. */
    protected abstract Object lock();
}
