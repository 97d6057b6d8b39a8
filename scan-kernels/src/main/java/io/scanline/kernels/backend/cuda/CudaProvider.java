package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BackendProvider;

import java.util.Map;

/**
 * The {@code cuda} backend: our own kernels through the JCuda driver API. Unavailable, with the reason,
 * when the build had no nvcc (no fatbin), when JCuda's native library cannot load, or when the CUDA
 * driver finds no device. Options: {@code device=N} (default 0), {@code weightCacheMiB=M} (default 4096),
 * {@code resident=true|false} (op outputs stay on the GPU, default true; system property
 * {@code scanline.cuda.resident}), {@code residentBudgetMiB=M} (resident bytes before a collection is
 * requested, default 4096, raised by itself where one step's live outputs exceed it, see
 * {@link CollectPolicy}; system property {@code scanline.cuda.residentBudgetMiB}),
 * {@code precision=fp32|bf16} (default fp32; bf16 is the opt-in tensor-core mode of {@code linear}, see
 * {@link Precision}; system property {@code scanline.cuda.precision}), {@code poolMiB=M} (freed device
 * buffers kept for reuse instead of cuMemFree, which waits for the device; default 4096, the resident
 * budget's default, so that a model's freed outputs come back as its next chunk's; system property
 * {@code scanline.cuda.poolMiB}), {@code storeMiB=M} (multi-pass models' barrier stores kept on the GPU
 * instead of host memory while they fit; default half the resident budget; 0 keeps them on the host;
 * system property {@code scanline.cuda.storeMiB}), {@code deviceStates=true|false} (carried state kept on
 * the GPU between op calls, default true with resident outputs; false uploads and writes it back per
 * call, for comparison; system property {@code scanline.cuda.deviceStates}), {@code fp32Gemm=auto|simt|tf32x3|wgmma}
 * (the fp32 GEMM kernel: auto takes 3xTF32 on tensor cores where its tiles fill the GPU and K % 4 == 0, on
 * wgmma where the driver loaded the fatbin's sm_90a build, else on mma.sync; simt the CUDA-core kernels only;
 * tf32x3 and wgmma force one tensor-core kernel; system property {@code scanline.cuda.fp32Gemm}),
 * {@code bf16Gemm=auto|wmma|mma|wgmma} (the bf16 mode's GEMM kernel: auto takes 128×256 tiles where they fill the
 * GPU and K % 8 == 0, on wgmma where the sm_90a build loaded and they make four waves, else on mma.sync, and WMMA
 * otherwise; system property {@code scanline.cuda.bf16Gemm}),
 * {@code fp32Mlstm=auto|tf32x3|simt} (the fp32 mode's chunkwise mLSTM: 3xTF32 products on tensor cores at
 * fp32 accuracy or the CUDA-core kernels; auto, the default, chooses by head dim, see
 * {@link CudaOps.Fp32Mlstm}; system property {@code scanline.cuda.fp32Mlstm}),
 * {@code bf16Mlstm=fused|three-pass} (the bf16 mode's chunkwise mLSTM: the state kept on chip for head dims
 * 128/256/384/512, the default, or chunk states through memory, see {@link CudaOps.Bf16Mlstm}; system
 * property {@code scanline.cuda.bf16Mlstm}), {@code fusedQk=by-shape|fp32|bf16} (how the fused mLSTM takes
 * q and k: by shape, the default, fp32 rounded while staging, or converted to bf16 first; the same bits
 * either way, see {@link CudaOps.FusedQk}; system property {@code scanline.cuda.fusedQk}), {@code fusedKernel=auto|mma|wgmma}
 * (the fused mLSTM's kernel with bf16 q and k: auto, the default, takes the wgmma kernel where the driver loaded the
 * fatbin's sm_90a build, else mma.sync; see {@link CudaOps.FusedKernel}; system property
 * {@code scanline.cuda.fusedKernel}), {@code ssdState=auto|mma|scalar|backward}
 * (the state pass of the SSD cut into chunks: auto, the default, chooses by state size and chunk length between
 * on tensor cores at fp32 accuracy and token by token from each chunk's end until the decay leaves the rest
 * below 2^-32; scalar is token by token over whole chunks,
 * see {@link CudaOps.SsdState}; system property {@code scanline.cuda.ssdState}), {@code ssdOut=mma|scalar} (the SSD's
 * output pass at N 56-64, on tensor cores at fp32 accuracy by default; see {@link CudaOps.SsdOut}; system property
 * {@code scanline.cuda.ssdOut}), {@code scanState=backward|forward} (the state pass of the Mamba-1 scan cut into
 * chunks: from each chunk's end, stopping where the decay leaves the tokens before it below 2^-32, the default,
 * or every token; see {@link CudaOps.ScanState}; system property {@code scanline.cuda.scanState}),
 * {@code scanCutWaves=W} (chunk count of that scan at N &lt;= 16 under the backward pass, default 4, 0 for the
 * general rule; see {@link CudaOps#setScanCutWaves}; system property {@code scanline.cuda.scanCutWaves}).
 */
public final class CudaProvider implements BackendProvider {
    /** Reason computed once per JVM: probing the driver is not free, and its answer does not change. */
    private static volatile String reason;
    private static volatile boolean probed;

    @Override
    public String name() { return CudaBackend.NAME; }

    @Override
    public String unavailableReason() {
        if (!probed) {
            synchronized (CudaProvider.class) {
                if (!probed) {
                    reason = probe();
                    probed = true;
                }
            }
        }
        return reason;
    }

    private static String probe() {
        if (!CudaFatbin.present()) return "no fatbin in this build: nvcc was absent";
        try {
            return CudaContext.probeDriver();
        } catch (LinkageError e) {
            return "no CUDA driver: JCuda's native library did not load (" + rootCause(e.getMessage()) + ")";
        } catch (RuntimeException e) {
            return "no CUDA driver: " + e.getMessage();
        }
    }

    /**
     * JCuda's load error lists every attempt with stack traces; the useful part is the dynamic linker's
     * complaint of the resource attempt (typically "libcuda.so.1: cannot open shared object file").
     */
    static String rootCause(String msg) {
        if (msg == null) return "unknown error";
        String found = null;
        for (String line : msg.split("\\R")) {
            int i = line.indexOf("UnsatisfiedLinkError: ");
            if (i >= 0) found = line.substring(i + "UnsatisfiedLinkError: ".length()).trim();
        }
        if (found == null) return msg.lines().findFirst().orElse(msg).trim();
        int so = found.indexOf(".so: ");
        return so >= 0 ? found.substring(so + 5) : found;
    }

    @Override
    public Backend create(Map<String, String> options) {
        String why = unavailableReason();
        if (why != null) throw new IllegalStateException("cuda backend unavailable: " + why);
        int device = Integer.parseInt(options.getOrDefault("device", "0"));
        long cacheBytes = Long.parseLong(options.getOrDefault("weightCacheMiB", "4096")) << 20;
        boolean resident = Boolean.parseBoolean(options.getOrDefault("resident",
                System.getProperty("scanline.cuda.resident", "true")));
        long budget = Long.parseLong(options.getOrDefault("residentBudgetMiB",
                System.getProperty("scanline.cuda.residentBudgetMiB", "4096"))) << 20;
        Precision precision = Precision.parse(options.getOrDefault("precision",
                System.getProperty("scanline.cuda.precision", "fp32")));
        long pool = Long.parseLong(options.getOrDefault("poolMiB", System.getProperty("scanline.cuda.poolMiB", "4096"))) << 20;
        String storeMiB = options.getOrDefault("storeMiB", System.getProperty("scanline.cuda.storeMiB"));
        long store = storeMiB == null ? budget / 2 : Long.parseLong(storeMiB) << 20;
        CudaContext ctx = new CudaContext(device);
        ctx.setPoolLimit(pool);
        CudaBackend be = new CudaBackend(ctx, cacheBytes, resident, budget, precision);
        be.setStoreBudget(store);
        be.setDeviceStates(Boolean.parseBoolean(options.getOrDefault("deviceStates",
                System.getProperty("scanline.cuda.deviceStates", "true"))));
        be.ops().setFp32Gemm(CudaOps.Fp32Gemm.parse(options.getOrDefault("fp32Gemm",
                System.getProperty("scanline.cuda.fp32Gemm", "auto"))));
        be.ops().setBf16Gemm(CudaOps.Bf16Gemm.parse(options.getOrDefault("bf16Gemm",
                System.getProperty("scanline.cuda.bf16Gemm", "auto"))));
        be.ops().setFp32Mlstm(CudaOps.Fp32Mlstm.parse(options.getOrDefault("fp32Mlstm",
                System.getProperty("scanline.cuda.fp32Mlstm", "auto"))));
        be.ops().setBf16Mlstm(CudaOps.Bf16Mlstm.parse(options.getOrDefault("bf16Mlstm",
                System.getProperty("scanline.cuda.bf16Mlstm", "fused"))));
        be.ops().setFusedQk(CudaOps.FusedQk.parse(options.getOrDefault("fusedQk",
                System.getProperty("scanline.cuda.fusedQk", "by-shape"))));
        be.ops().setFusedKernel(CudaOps.FusedKernel.parse(options.getOrDefault("fusedKernel",
                System.getProperty("scanline.cuda.fusedKernel", "auto"))));
        be.ops().setSsdState(CudaOps.SsdState.parse(options.getOrDefault("ssdState",
                System.getProperty("scanline.cuda.ssdState", "auto"))));
        be.ops().setScanState(CudaOps.ScanState.parse(options.getOrDefault("scanState",
                System.getProperty("scanline.cuda.scanState", "backward"))));
        be.ops().setScanCutWaves(Integer.parseInt(options.getOrDefault("scanCutWaves",
                System.getProperty("scanline.cuda.scanCutWaves", String.valueOf(CudaOps.SCAN_CUT_WAVES)))));
        be.ops().setSsdOut(CudaOps.SsdOut.parse(options.getOrDefault("ssdOut",
                System.getProperty("scanline.cuda.ssdOut", "mma"))));
        return be;
    }
}
