package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.tensor.DeferredF32;
import io.scanline.kernels.tensor.Tensor;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Op outputs of one {@link CudaBackend} that stay on the GPU: each is a {@link Tensor} with
 * {@link DeferredF32} data backed by a {@link DeviceBuffer}, so the next op reads it where it is and
 * host code that reads it gets a download on its first access.
 *
 * <p>Who frees the device memory, whichever comes first:
 * <ol>
 *   <li>the first host read: the data is downloaded and the buffer freed (host code may write into the
 *       array it got, so the device copy is no longer the data);</li>
 *   <li>garbage collection: when no tensor refers to the data any more, its phantom reference is queued
 *       and the buffer freed at the start of the next op call of the backend (on the backend's thread,
 *       never on a collector thread);</li>
 *   <li>memory pressure: when resident bytes would pass the budget, a collection is requested and the
 *       queue drained before allocating (GPU memory is invisible to the Java heap's own triggers); where a
 *       step's live outputs alone pass the budget, the threshold rises ({@link CollectPolicy});</li>
 *   <li>an op scope ({@link io.scanline.kernels.backend.OpScope}) closing: the outputs made inside and
 *       not kept are freed at once, and a later read or op use of one fails with a clear message;</li>
 *   <li>{@link #release} (the model code is done with an output that outlived its scope): freed at once,
 *       and a later read or op use fails as after a scope;</li>
 *   <li>{@link #close()} (the backend closes): everything still resident is freed, and a later host
 *       read of such a tensor fails with a clear message.</li>
 * </ol>
 * All of it runs under the backend's monitor, so an op never sees a buffer freed under it.
 */
final class ResidentTensors implements AutoCloseable {
    private final Object lock;
    private final CollectPolicy policy;
    private final ReferenceQueue<Resident> queue = new ReferenceQueue<>();
    private final Map<Reference<Resident>, DeviceBuffer> live = new IdentityHashMap<>();
    // open op scopes, innermost first: the outputs each made and has not given up
    private final java.util.ArrayDeque<java.util.List<Resident>> scopes = new java.util.ArrayDeque<>();
    private long liveBytes, gcRequests;
    private boolean closed;

    /** The deferred data of one resident output. */
    final class Resident extends DeferredF32 {
        private DeviceBuffer buf;
        private Reference<Resident> ref;
        private boolean scopeFreed;

        private Resident(DeviceBuffer buf, int length) {
            super(length);
            this.buf = buf;
        }

        ResidentTensors owner() { return ResidentTensors.this; }

        @Override
        protected float[] produce() {
            if (scopeFreed) throw new IllegalStateException("device-resident output read after the op scope that made it closed or after it was released (keep it with OpScope.keep)");
            if (closed || buf == null) throw new IllegalStateException("device-resident tensor read after its cuda backend closed");
            float[] h = new float[length()];
            buf.download(h);
            return h;
        }

        @Override
        protected void afterMaterialize() { drop(); }

        /** Freed by a scope or a release: the device copy goes, and a later read or op use fails. */
        private void freeNow() {
            drop();
            scopeFreed = true;
        }

        /** Frees the device copy now (the host array, or nothing, is the data from here on). */
        private void drop() {
            release(ref);
            ref.clear();
            buf = null;
        }

        @Override
        protected Object lock() { return lock; }
    }

    ResidentTensors(Object lock, long budgetBytes) {
        this.lock = lock;
        this.policy = new CollectPolicy(budgetBytes);
    }

    /** Wraps an output buffer (now owned here) as a tensor of the given shape. */
    Tensor wrap(DeviceBuffer buf, int[] shape) {
        int n = Tensor.checkedNumel(shape);
        Resident r = new Resident(buf, n);
        r.ref = new PhantomReference<>(r, queue);
        live.put(r.ref, buf);
        liveBytes += buf.bytes();
        if (!scopes.isEmpty()) scopes.peek().add(r);
        return Tensor.deferred(r, shape);
    }

    /** Opens an op scope; returns its list, which {@link #closeScope} checks. */
    java.util.List<Resident> openScope() {
        java.util.List<Resident> made = new java.util.ArrayList<>();
        scopes.push(made);
        return made;
    }

    /** Moves t's data (one of ours, still on the device) out of the innermost scope into its parent. */
    void keep(java.util.List<Resident> scope, Tensor t) {
        DeferredF32 d = t == null ? null : t.deferred();
        if (!(d instanceof Resident r) || r.owner() != this || !scope.remove(r)) return;
        java.util.Iterator<java.util.List<Resident>> it = scopes.iterator();
        while (it.hasNext()) {
            if (it.next() == scope) {
                if (it.hasNext()) it.next().add(r);
                return;
            }
        }
    }

    /** Frees t's device data now when it is one of ours and still only on the device; a later use fails as after its scope. */
    void release(Tensor t) {
        DeferredF32 d = t == null ? null : t.deferred();
        if (!(d instanceof Resident r) || r.owner() != this || r.buf == null) return;
        for (java.util.List<Resident> scope : scopes) {
            if (scope.remove(r)) break;
        }
        r.freeNow();
    }

    /** Closes the innermost scope: frees every output it made that is still only on the device. */
    void closeScope(java.util.List<Resident> scope) {
        if (scopes.peek() != scope) throw new IllegalStateException("op scopes must close in reverse order of opening");
        scopes.pop();
        for (Resident r : scope) {
            if (r.buf != null) r.freeNow();   // else read on the host already
        }
    }

    /** The device copy of t when it is one of ours and still on the device, else null. */
    DeviceBuffer bufferOf(Tensor t) {
        DeferredF32 d = t == null ? null : t.deferred();
        if (d instanceof Resident r && r.owner() == this) {
            if (r.scopeFreed) throw new IllegalStateException("op input is a device-resident output freed by its op scope or released (keep it with OpScope.keep)");
            return r.buf;
        }
        return null;
    }

    /**
     * Frees what the collector found unreachable; when {@code need} more bytes would pass the collection
     * threshold ({@link CollectPolicy}: the budget, raised where a step's working set is larger), first asks
     * for a collection and waits briefly for its references.
     */
    void reclaim(long need) {
        drain();
        if (!policy.shouldCollect(liveBytes, need) || live.isEmpty()) return;
        gcRequests++;
        System.gc();
        try {
            // reference processing follows the collection on another thread and enqueues in batches:
            // take what arrives until the budget has room again or nothing more comes for 20 ms (the
            // first entry may take up to 200 ms); taking only the first batch left most of the garbage
            // for the next allocations, each of which then asked for another collection
            long waitMs = 200;
            while (policy.stillOver(liveBytes, need)) {
                Reference<? extends Resident> r = queue.remove(waitMs);
                if (r == null) break;
                free(r);
                drain();
                waitMs = 20;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
        policy.collected(liveBytes, need);
    }

    private void drain() {
        for (Reference<? extends Resident> r; (r = queue.poll()) != null; ) free(r);
    }

    private void free(Reference<? extends Resident> r) {
        release(r);
    }

    private void release(Reference<? extends Resident> r) {
        DeviceBuffer b = live.remove(r);
        if (b != null) {
            liveBytes -= b.bytes();
            b.close();
        }
    }

    long liveBytes() { return liveBytes; }

    int liveCount() { return live.size(); }

    /** How many times pressure made this ask for a collection. */
    long gcRequests() { return gcRequests; }

    /** Live bytes above which a collection is requested now (the budget, or the raised threshold). */
    long collectThreshold() { return policy.threshold(); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (DeviceBuffer b : live.values()) b.close();
        live.clear();
        liveBytes = 0;
    }
}
