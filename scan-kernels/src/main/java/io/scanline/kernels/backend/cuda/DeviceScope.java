package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Owner of the temporary device buffers of one op call (or one benchmark case): everything allocated
 * through it is freed when it closes, newest first, also when the call throws.
 */
public final class DeviceScope implements AutoCloseable {
    private final CudaContext ctx;
    private final Deque<DeviceBuffer> owned = new ArrayDeque<>();

    DeviceScope(CudaContext ctx) { this.ctx = ctx; }

    public DeviceBuffer alloc(long bytes) {
        DeviceBuffer b = ctx.alloc(bytes);
        owned.push(b);
        return b;
    }

    public DeviceBuffer floats(long n) { return alloc(4L * n); }

    /** Takes b out of this scope: the caller now owns it (an op's output that outlives the call). */
    public DeviceBuffer keep(DeviceBuffer b) {
        if (!owned.remove(b)) throw new IllegalArgumentException("buffer not owned by this scope");
        return b;
    }

    /** Uploads an F32 tensor (null stays null, for optional inputs). */
    public DeviceBuffer upload(Tensor t) {
        if (t == null) return null;
        return floats(t.numel()).upload(t.f32());
    }

    @Override
    public void close() {
        RuntimeException first = null;
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
