package io.scanline.kernels.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * One allocation of device memory, owned by whoever holds it: closing frees it (once). Sizes are in
 * bytes; the typed copies check that the host array fits.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaContext ctx;
    private final CUdeviceptr ptr;
    private final long bytes;
    private boolean closed;

    DeviceBuffer(CudaContext ctx, CUdeviceptr ptr, long bytes) {
        this.ctx = ctx;
        this.ptr = ptr;
        this.bytes = bytes;
    }

    public long bytes() { return bytes; }

    /** Elements of 4 bytes (fp32). */
    public long floats() { return bytes / 4; }

    public CUdeviceptr ptr() {
        if (closed) throw new IllegalStateException("device buffer already freed");
        return ptr;
    }

    public DeviceBuffer upload(float[] host) {
        check(4L * host.length);
        ctx.makeCurrent();
        if (host.length > 0) JCudaDriver.cuMemcpyHtoD(ptr(), Pointer.to(host), 4L * host.length);
        return this;
    }

    public DeviceBuffer upload(double[] host) {
        check(8L * host.length);
        ctx.makeCurrent();
        if (host.length > 0) JCudaDriver.cuMemcpyHtoD(ptr(), Pointer.to(host), 8L * host.length);
        return this;
    }

    public DeviceBuffer upload(int[] host) {
        check(4L * host.length);
        ctx.makeCurrent();
        if (host.length > 0) JCudaDriver.cuMemcpyHtoD(ptr(), Pointer.to(host), 4L * host.length);
        return this;
    }

    /** Sets the whole buffer to zero bytes (0.0f in every float). */
    public DeviceBuffer zero() {
        ctx.makeCurrent();
        if (bytes > 0) JCudaDriver.cuMemsetD8(ptr(), (byte) 0, bytes);
        return this;
    }

    /** Every float of the buffer set to {@code value} (a 32-bit memset on the default stream; the host does not wait). */
    public DeviceBuffer fill(float value) {
        ctx.makeCurrent();
        if (bytes >= 4) JCudaDriver.cuMemsetD32(ptr(), Float.floatToRawIntBits(value), bytes / 4);
        return this;
    }

    public DeviceBuffer upload(long[] host) {
        check(8L * host.length);
        ctx.makeCurrent();
        if (host.length > 0) JCudaDriver.cuMemcpyHtoD(ptr(), Pointer.to(host), 8L * host.length);
        return this;
    }

    /** Copies the first host.length floats of this buffer into host (waits for queued work first). */
    public float[] download(float[] host) {
        check(4L * host.length);
        ctx.makeCurrent();
        if (host.length > 0) JCudaDriver.cuMemcpyDtoH(Pointer.to(host), ptr(), 4L * host.length);
        return host;
    }

    /** Copies the first host.length doubles of this buffer into host (waits for queued work first). */
    public double[] download(double[] host) {
        check(8L * host.length);
        ctx.makeCurrent();
        if (host.length > 0) JCudaDriver.cuMemcpyDtoH(Pointer.to(host), ptr(), 8L * host.length);
        return host;
    }

    public void copyFrom(DeviceBuffer src, long nbytes) {
        check(nbytes);
        if (nbytes > src.bytes) throw new IllegalArgumentException("copy of " + nbytes + " bytes from a buffer of " + src.bytes);
        ctx.makeCurrent();
        if (nbytes > 0) JCudaDriver.cuMemcpyDtoD(ptr(), src.ptr(), nbytes);
    }

    /** Copies {@code nbytes} from {@code src} at {@code srcOffset} to this buffer at {@code dstOffset} (bytes). */
    public void copyFrom(DeviceBuffer src, long srcOffset, long dstOffset, long nbytes) {
        if (srcOffset < 0 || dstOffset < 0 || nbytes < 0 || srcOffset + nbytes > src.bytes || dstOffset + nbytes > bytes) {
            throw new IllegalArgumentException("copy of " + nbytes + " bytes from offset " + srcOffset + " of " + src.bytes
                    + " to offset " + dstOffset + " of " + bytes);
        }
        ctx.makeCurrent();
        if (nbytes > 0) JCudaDriver.cuMemcpyDtoD(ptr().withByteOffset(dstOffset), src.ptr().withByteOffset(srcOffset), nbytes);
    }

    private void check(long need) {
        if (need > bytes) throw new IllegalArgumentException("host data of " + need + " bytes does not fit a device buffer of " + bytes);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ctx.free(ptr, bytes);
    }
}
