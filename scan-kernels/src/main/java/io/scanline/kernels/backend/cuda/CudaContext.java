package io.scanline.kernels.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One device's primary context with our fatbin module loaded: kernel lookup and launch, device memory
 * allocation with accounting (current and peak bytes), event timing. Closing unloads the module and
 * releases the primary context; buffers still open at that point are a caller bug and are reported.
 *
 * <p>All work goes to the default stream of the context, so launches and copies are ordered;
 * host copies synchronize implicitly.
 */
public final class CudaContext implements AutoCloseable {
    /** Pass for an absent optional pointer argument. */
    public static final Object NULL = new Object();

    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final String deviceName;
    private final int smCount;
    private final long totalMem;
    private long liveBytes, peakBytes, peakReserved;
    private final SizePool<CUdeviceptr> pool = new SizePool<>(1L << 30, JCudaDriver::cuMemFree);
    private int liveBuffers;
    private boolean closed;

    /**
     * @return null when a CUDA device is usable, otherwise why not. Throws LinkageError when JCuda's
     *         native library cannot load.
     */
    static String probeDriver() {
        JCudaDriver.setExceptionsEnabled(false);
        int rc = JCudaDriver.cuInit(0);
        if (rc != 0) return "no CUDA driver: cuInit failed with " + jcuda.driver.CUresult.stringFor(rc);
        int[] count = new int[1];
        rc = JCudaDriver.cuDeviceGetCount(count);
        if (rc != 0) return "no CUDA driver: cuDeviceGetCount failed with " + jcuda.driver.CUresult.stringFor(rc);
        if (count[0] == 0) return "no CUDA device visible to the driver";
        return null;
    }

    public CudaContext(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        int[] count = new int[1];
        JCudaDriver.cuDeviceGetCount(count);
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new IllegalArgumentException("CUDA device " + ordinal + " requested, " + count[0] + " present");
        }
        JCudaDriver.cuDeviceGet(device, ordinal);
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        byte[] fatbin = CudaFatbin.load();
        if (fatbin == null) throw new IllegalStateException("no fatbin in this build: nvcc was absent");
        JCudaDriver.cuModuleLoadData(module, fatbin);
        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, device);
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        deviceName = new String(name, 0, len, StandardCharsets.UTF_8);
        smCount = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] mem = new long[1];
        JCudaDriver.cuDeviceTotalMem(mem, device);
        totalMem = mem[0];
    }

    public String deviceName() { return deviceName; }

    public int smCount() { return smCount; }

    /**
     * Nominal fp32 FMA peak in TFLOP/s: SMs × 128 fp32 lanes × 2 operations × the maximum SM clock the
     * driver reports (Hopper and Ampere datacenter parts have 128 fp32 lanes per SM).
     */
    public double fp32PeakTflops() {
        double clockKHz = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
        return smCount * 128.0 * 2.0 * clockKHz * 1e3 / 1e12;
    }

    public long totalMemory() { return totalMem; }

    public int attribute(int attr) {
        int[] v = new int[1];
        JCudaDriver.cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    /** Device memory this context allocated and has not freed, and the most it ever held at once. */
    public synchronized long liveBytes() { return liveBytes; }

    public synchronized long peakBytes() { return peakBytes; }

    public synchronized void resetPeak() {
        peakBytes = liveBytes;
        peakReserved = liveBytes + pool.bytes();
    }

    void makeCurrent() {
        if (closed) throw new IllegalStateException("CUDA context closed");
        JCudaDriver.cuCtxSetCurrent(context);
    }

    public DeviceScope scope() { return new DeviceScope(this); }

    /**
     * A buffer of at least 4 bytes (the driver rejects empty allocations). Freed buffers are kept in a
     * pool by exact size (up to {@link #setPoolLimit} bytes, least recently used sizes released first:
     * {@link SizePool}) and handed out again: cuMemFree waits for the whole device, which would put a
     * host-device sync into every op call. Pool reuse is safe
     * because all work is ordered on the one default stream. When the driver runs out of memory the
     * pool is released and the allocation retried once.
     */
    public DeviceBuffer alloc(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation " + bytes);
        long size = Math.max(4, (bytes + 3) & ~3L);
        CUdeviceptr p;
        synchronized (this) {
            makeCurrent();
            p = pool.take(size);
            if (p == null) {
                p = new CUdeviceptr();
                try {
                    JCudaDriver.cuMemAlloc(p, size);
                } catch (jcuda.CudaException e) {
                    if (pool.bytes() == 0) throw e;
                    releasePool();
                    JCudaDriver.cuMemAlloc(p, size);
                }
            }
            liveBytes += size;
            liveBuffers++;
            peakBytes = Math.max(peakBytes, liveBytes);
            peakReserved = Math.max(peakReserved, liveBytes + pool.bytes());
        }
        return new DeviceBuffer(this, p, size);
    }

    synchronized void free(CUdeviceptr p, long bytes) {
        if (closed) return; // the context's teardown already released everything
        liveBytes -= bytes;
        liveBuffers--;
        JCudaDriver.cuCtxSetCurrent(context);
        pool.give(bytes, p);
    }

    /** Gives every pooled buffer back to the driver. */
    public synchronized void releasePool() {
        if (closed) return;
        JCudaDriver.cuCtxSetCurrent(context);
        pool.clear();
    }

    /** Most bytes the pool keeps (default 1 GiB); lowering it releases the least recently used sizes above it. */
    public synchronized void setPoolLimit(long bytes) {
        if (closed) return;
        JCudaDriver.cuCtxSetCurrent(context);
        pool.setLimit(bytes);
    }

    /** Pooled buffers released to make room for buffers of sizes used more recently. */
    public synchronized long poolEvictions() { return pool.evicted(); }

    /** Bytes held from the driver, in use or pooled. */
    public synchronized long reservedBytes() { return liveBytes + pool.bytes(); }

    /** High-water mark of {@link #reservedBytes()} since the last {@link #resetPeak()}: the GPU memory this context took. */
    public synchronized long peakReservedBytes() { return peakReserved; }

    public CUfunction function(String name) {
        synchronized (functions) {
            return functions.computeIfAbsent(name, n -> {
                CUfunction f = new CUfunction();
                JCudaDriver.cuModuleGetFunction(f, module, n);
                return f;
            });
        }
    }

    /** An {@code extern "C" __constant__ int} of the fatbin (kernel parameters the host must not repeat). */
    public int constantInt(String name) {
        makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        long[] bytes = new long[1];
        JCudaDriver.cuModuleGetGlobal(p, bytes, module, name);
        if (bytes[0] != 4) throw new IllegalStateException("fatbin constant " + name + " has " + bytes[0] + " bytes, expected an int");
        int[] v = new int[1];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(v), p, 4);
        return v[0];
    }

    /** Blocks of a kernel the driver can keep resident on one SM at this block size and dynamic shared memory. */
    public int blocksPerSm(String kernel, int threads, int dynamicSmem) {
        makeCurrent();
        int[] n = new int[1];
        JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(n, function(kernel), threads, dynamicSmem);
        return n[0];
    }

    /** Lets a kernel use more than 48 KiB of dynamic shared memory (opt-in on Hopper, up to 227 KiB). */
    public void allowSharedMemory(String kernel, int bytes) {
        makeCurrent();
        JCudaDriver.cuFuncSetAttribute(function(kernel),
                CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    /**
     * Launches a kernel. Arguments: DeviceBuffer (its pointer), {@link #NULL} or a null DeviceBuffer
     * (null pointer), Integer, Long, Float, Double, or long[] (host array: not allowed, rejected).
     */
    public void launch(String kernel, int gx, int gy, int gz, int block, int sharedBytes, Object... args) {
        makeCurrent();
        Pointer[] ps = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) ps[i] = param(kernel, i, args[i]);
        if (gx <= 0 || gy <= 0 || gz <= 0) return; // nothing to do (empty tensor)
        JCudaDriver.cuLaunchKernel(function(kernel), gx, gy, gz, block, 1, 1, sharedBytes, null,
                Pointer.to(ps), null);
    }

    /** 1-D launch over n work items with a grid-stride cap (kernels loop over the rest). */
    public void launch1d(String kernel, long n, int block, Object... args) {
        if (n <= 0) return;
        long blocks = Math.min((n + block - 1) / block, (long) smCount * 32);
        launch(kernel, (int) blocks, 1, 1, block, 0, args);
    }

    private static Pointer param(String kernel, int i, Object a) {
        if (a == null || a == NULL) return Pointer.to(new CUdeviceptr());
        if (a instanceof DeviceBuffer b) return Pointer.to(b.ptr());
        if (a instanceof Integer v) return Pointer.to(new int[] {v});
        if (a instanceof Long v) return Pointer.to(new long[] {v});
        if (a instanceof Float v) return Pointer.to(new float[] {v});
        if (a instanceof Double v) return Pointer.to(new double[] {v});
        throw new IllegalArgumentException(kernel + ": unsupported argument " + i + " of type " + a.getClass());
    }

    public void synchronize() {
        makeCurrent();
        JCudaDriver.cuCtxSynchronize();
    }

    /** Device time of {@code work} in milliseconds, between two events on the default stream. */
    public float timeMs(Runnable work) {
        makeCurrent();
        CUevent start = new CUevent(), stop = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(stop, 0);
        try {
            JCudaDriver.cuEventRecord(start, (CUstream) null);
            work.run();
            JCudaDriver.cuEventRecord(stop, (CUstream) null);
            JCudaDriver.cuEventSynchronize(stop);
            float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, start, stop);
            return ms[0];
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
        }
    }

    /** Free and total device memory as the driver sees it. */
    public long[] memInfo() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return new long[] {free[0], total[0]};
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        JCudaDriver.cuCtxSetCurrent(context);
        JCudaDriver.cuCtxSynchronize();
        releasePool(); // the primary context may outlive this object (other instances on the device)
        JCudaDriver.cuModuleUnload(module);
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
        closed = true;
        if (liveBuffers != 0) {
            System.err.println("[cuda] context closed with " + liveBuffers + " device buffers (" + liveBytes
                    + " bytes) still open; released with the context");
        }
    }
}
