package io.scanline.kernels.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host-to-device copies of Java arrays through a ring of pinned host buffers: the array is copied into
 * a slot on the host, the slot's copy to the device is queued on the default stream, and the caller goes
 * on. A copy straight from a Java array is from pageable memory, and for those the driver first waits
 * for all queued work: every op input from the host (pixels, position rows) was then a host-device sync.
 * A slot is written again only after the event recorded behind its last copy has passed.
 *
 * <p>Used under the owning context's current-context discipline; methods are synchronized so that two
 * threads never share a slot.
 */
final class PinnedStaging implements AutoCloseable {
    static final int SLOTS = 4;
    static final long SLOT_BYTES = 8L << 20;

    private final Pointer[] host = new Pointer[SLOTS];
    private final ByteBuffer[] view = new ByteBuffer[SLOTS];
    private final CUevent[] done = new CUevent[SLOTS];
    private final boolean[] pending = new boolean[SLOTS];
    private int next;
    private boolean closed;

    /** Copies src[0, n) floats to dst, queued behind the work already on the default stream. */
    synchronized void upload(CUdeviceptr dst, float[] src, int n) {
        for (long off = 0; off < n; ) {
            int slot = slot();
            int count = (int) Math.min(n - off, SLOT_BYTES / 4);
            view[slot].clear();
            view[slot].asFloatBuffer().put(src, (int) off, count);
            queue(slot, dst.withByteOffset(4L * off), 4L * count);
            off += count;
        }
    }

    /** Copies src[0, n) ints to dst, as {@link #upload(CUdeviceptr, float[], int)}. */
    synchronized void upload(CUdeviceptr dst, int[] src, int n) {
        for (long off = 0; off < n; ) {
            int slot = slot();
            int count = (int) Math.min(n - off, SLOT_BYTES / 4);
            view[slot].clear();
            view[slot].asIntBuffer().put(src, (int) off, count);
            queue(slot, dst.withByteOffset(4L * off), 4L * count);
            off += count;
        }
    }

    /** The next slot, allocated on first use, once its previous copy has finished. */
    private int slot() {
        if (closed) throw new IllegalStateException("pinned staging closed");
        int s = next;
        next = (next + 1) % SLOTS;
        if (host[s] == null) {
            host[s] = new Pointer();
            JCudaDriver.cuMemAllocHost(host[s], SLOT_BYTES);
            view[s] = host[s].getByteBuffer(0, SLOT_BYTES).order(ByteOrder.nativeOrder());
            done[s] = new CUevent();
            JCudaDriver.cuEventCreate(done[s], CUevent_flags.CU_EVENT_DISABLE_TIMING);
        } else if (pending[s]) {
            JCudaDriver.cuEventSynchronize(done[s]);
        }
        pending[s] = false;
        return s;
    }

    private void queue(int slot, CUdeviceptr dst, long bytes) {
        JCudaDriver.cuMemcpyHtoDAsync(dst, host[slot], bytes, (CUstream) null);
        JCudaDriver.cuEventRecord(done[slot], (CUstream) null);
        pending[slot] = true;
    }

    /** Frees the pinned buffers and events; the caller has synchronized the context (no copy in flight). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (int s = 0; s < SLOTS; s++) {
            if (host[s] == null) continue;
            JCudaDriver.cuEventDestroy(done[s]);
            JCudaDriver.cuMemFreeHost(host[s]);
        }
    }
}
