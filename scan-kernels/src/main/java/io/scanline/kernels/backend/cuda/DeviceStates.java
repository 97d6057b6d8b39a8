package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.HostMirror;
import io.scanline.kernels.tensor.Tensor;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The device copies of carried state (conv tails, SSM states, mLSTM C/n/m) of one {@link CudaBackend}:
 * the first recurrent op on a state tensor uploads it and attaches a {@link HostMirror}; later ops read
 * and overwrite that copy in place, so a chunked pass moves no state between host and device. A host
 * read of the tensor (a checkpoint, a test) pulls the copy down and detaches it; the next op uploads
 * again. Copies of arrays nobody refers to any more are freed at the start of the next op call (their
 * bytes count toward the backend's resident budget, whose collections find them);
 * {@link #close()} pulls every copy back into its host array first, so closing the backend loses no state.
 *
 * <p>If a kernel fails half-way through an in-place update, the copy is no longer a valid state; CUDA
 * errors of a launch are sticky for the context, so the backend is unusable from then on anyway.
 */
final class DeviceStates implements AutoCloseable {
    private final Object lock;
    private final CudaContext ctx;
    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
    private final Map<Reference<Object>, Copy> live = new IdentityHashMap<>();
    private long bytes, uploads, pulls;

    /** One state tensor's device copy. */
    private final class Copy extends HostMirror {
        private DeviceBuffer buf;

        Copy(Tensor t, DeviceBuffer buf) {
            super(t, queue);
            this.buf = buf;
        }

        @Override
        protected void pull(Object into) {
            if (into instanceof float[] f) buf.download(f);
            else buf.download((double[]) into);
            pulls++;
        }

        @Override
        protected void afterDetach() {
            live.remove(reference());
            bytes -= buf.bytes();
            buf.close();
            buf = null;
        }

        @Override
        protected Object lock() { return lock; }
    }

    DeviceStates(Object lock, CudaContext ctx) {
        this.lock = lock;
        this.ctx = ctx;
    }

    /**
     * The device copy of state tensor t, read and written in place by the op: ours when we have one,
     * else t's host data uploaded (pulling another owner's newer copy first) and attached. t must hold
     * a host array ({@link HostMirror#canMirror}, F32 or F64); callers move other tensors per call.
     */
    DeviceBuffer of(Tensor t) {
        DeviceBuffer own = bufferOf(t);
        if (own != null) return own;
        DeviceBuffer buf = ctx.alloc(t.bytes());
        try {
            if (t.dtype() == DType.F64) buf.upload(t.f64());
            else buf.upload(t.f32());
        } catch (RuntimeException e) {
            buf.close();
            throw e;
        }
        uploads++;
        return attach(t, buf);
    }

    /**
     * t's device copy set to {@code value} on the device (allocated and attached first when t has none, without
     * an upload): memsets on the context's one stream, so the host does not wait. F64 copies only to 0.
     */
    void fill(Tensor t, float value) {
        Shapes.requireFillable(t, value);
        DeviceBuffer buf = bufferOf(t);
        if (buf == null) {
            if (HostMirror.of(t) != null) t.getDouble(0);   // another owner's copy: pulled and detached by the host read
            buf = attach(t, ctx.alloc(t.bytes()));
        }
        if (t.dtype() == DType.F64) buf.zero();
        else buf.fill(value);
    }

    /** True when {@code d} is the device copy of t held here (the op updated it in place). */
    boolean holds(Tensor t, DeviceBuffer d) {
        return d != null && bufferOf(t) == d;
    }

    /** A fresh state tensor of {@code shape} whose data is {@code buf} (now owned here); its host array is stale. */
    Tensor wrap(DeviceBuffer buf, int... shape) {
        Tensor t = Tensor.zeros(shape);
        attach(t, buf);
        return t;
    }

    /** Replaces the device copy of a state that {@link #of} returned by {@code next} (now owned here). */
    void replace(Tensor t, DeviceBuffer next) {
        Copy c = own(t);
        if (c == null || next.bytes() != c.buf.bytes()) throw new IllegalStateException("no device copy of the same size to replace for " + t);
        c.buf.close();
        c.buf = next;
    }

    /** The copy of t held here (not another backend's), or null. */
    private Copy own(Tensor t) {
        return HostMirror.of(t) instanceof Copy c && live.get(c.reference()) == c ? c : null;
    }

    /** The device copy of t held here, or null. */
    DeviceBuffer bufferOf(Tensor t) {
        Copy c = own(t);
        return c == null ? null : c.buf;
    }

    /** Drops the device copy of t without pulling it (a temporary stacked state already scattered). */
    void discard(Tensor t) {
        Copy c = own(t);
        if (c != null) c.detach();
    }

    private DeviceBuffer attach(Tensor t, DeviceBuffer buf) {
        try {
            Copy c = new Copy(t, buf);
            live.put(c.reference(), c);
            bytes += buf.bytes();
            return buf;
        } catch (RuntimeException e) {
            buf.close();
            throw e;
        }
    }

    /** Frees the copies of collected arrays (no one can read them any more). */
    void drain() {
        for (Reference<?> r; (r = queue.poll()) != null; ) {
            Copy c = live.get(r);
            if (c != null) c.detach();
        }
    }

    long bytes() { return bytes; }

    int count() { return live.size(); }

    /** State tensors uploaded (first use, or first use after a host read). */
    long uploads() { return uploads; }

    /** Copies pulled to the host by host reads (or by {@link #close()}). */
    long pulls() { return pulls; }

    @Override
    public void close() {
        drain();
        RuntimeException first = null;
        for (Copy c : new ArrayList<>(live.values())) {
            try {
                c.pullAndDetach();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                c.detach();
            }
        }
        live.clear();
        if (first != null) throw first;
    }
}
