package io.scanline.kernels.backend.cuda;

import jcuda.driver.CUdevice_attribute;

import java.util.HashMap;
import java.util.Map;

/**
 * The op kernels launched on device buffers, no host copies: what {@link CudaBackend} calls after
 * uploading, and what the benchmarks call directly on device-resident data. Dimension names follow
 * the Backend glossary (B, L, E, N, H, P, G, NH, DH, K, C). Scratch buffers of the chunk-parallel
 * scans are kept and grown across calls so repeated calls do not allocate.
 */
public final class CudaOps implements AutoCloseable {
    /** The largest SSM state size the scan kernels hold in registers. */
    public static final int MAX_STATE = 64;
    /** Cap of the mLSTM kernels' dynamic shared memory (below Hopper's 227 KiB opt-in limit). */
    private static final int MLSTM_SMEM_CAP = 200 * 1024;
    /** The tensor-core mLSTM passes may take all an sm_90 block can opt into (227 KiB; the fatbin is sm_90 only). */
    static final int MMA_MLSTM_SMEM_CAP = 227 * 1024;

    private final CudaContext ctx;
    private final Map<String, DeviceBuffer> scratch = new HashMap<>();
    private int scanChunkLen; // 0 = chosen for occupancy, LANES = single-pass kernel where one exists
    private int gemmTile;     // 0 = chosen by shape, else 64 or 128
    private Bf16Gemm bf16Gemm = Bf16Gemm.AUTO;
    private Fp32Gemm fp32Gemm = Fp32Gemm.AUTO;
    private final int mmaSmem, tf32Smem, wgmmaSmem;
    /** Whether the driver loaded the fatbin's sm_90a build, the only one with wgmma (sm90a_probe). */
    private final boolean wgmma;
    private final int probeSmem;   // the bf16 peak probe's dynamic shared memory
    private final int wgmmaBf16Smem;

    /**
     * {@link #setScanChunkLen} value that forces the single-pass state-parallel scan
     * ({@code scan_lanes.cuh}) wherever it exists: Mamba-1 scans with 16 &lt; N &lt;= 64.
     */
    public static final int LANES = -1;
    /** The lanes kernel of the fatbin: 64-state width, 4 states per thread, 128 threads, 3 stages. */
    private static final String LANES_KERNEL = "ss_lanes_n64_s4_t128_p3";
    private static final int LANES_THREADS = 128, LANES_CPB = 8;
    /**
     * Automatic choice: the lanes kernel when B·E reaches this. Measured on an H100 (N = 64): 1.7x
     * faster than the chunk-parallel path at B8 E384/768/1536 L64K and B64 L4096 E384/768, equal at B64
     * E1536, slower at B = 1 (few channels: the chunk-parallel path has more threads).
     */
    static final int LANES_MIN_CHANNELS = 3072;

    /**
     * {@link #setScanChunkLen} value that forces the single-pass sequence-parallel scan
     * ({@code scan_block.cuh}) wherever it exists: Mamba-1 scans with N &lt;= 16. It is no longer chosen
     * automatically: since the chunk-parallel body loads a group ahead it is faster at every measured
     * shape (H100, results-h100/scan-prefetch/: B8 L64K E768 and B64 L4096 E384).
     */
    public static final int BLOCK = -2;
    /**
     * {@link #setScanChunkLen} value that sends every SSD with N &lt;= 16 below the one-pass batch to the
     * chunk-parallel body with its automatic chunks (ssdChunk), never to the segment kernel: tests reach
     * the cut body and its state pass at sizes the automatic rule would give the segment kernel.
     */
    public static final int SSD_BODY = -3;
    /** The block kernel of the fatbin: 16 states, 8 tokens per lane, 16 warps (= channels) per block. */
    private static final String BLOCK_KERNEL = "ss_block_n16_k8_t512";
    private static final int BLOCK_W = 16, BLOCK_THREADS = 32 * BLOCK_W;

    /**
     * The segment SSD of the fatbin ({@code ssd_seg.cuh}), used for every SSD with N &lt;= 16: 16-state
     * width, 32 head dims per block, 4 segments of 16 tokens per 64-token tile, 128 threads.
     */
    private static final String SEG_STATE = "ssd_seg_state_n16_p32_s4_t16", SEG_OUT = "ssd_seg_out_n16_p32_s4_t16";
    private static final int SEG_PB = 32, SEG_TILE = 64, SEG_THREADS = 128;

    // Dynamic shared memory of the fixed-layout kernels, read from the constants the fatbin exports
    // next to each kernel (the layouts live in the .cuh files only).
    private final int lanesSmem, blockSmem, segSmem, ssdoSmem;
    /** Chunk lengths from the resident blocks per SM the driver reports for the scan builds on this GPU. */
    private final ScanChunks chunks;

    public CudaOps(CudaContext ctx) {
        this.ctx = ctx;
        lanesSmem = ctx.constantInt(LANES_KERNEL + "_smem");
        blockSmem = ctx.constantInt(BLOCK_KERNEL + "_smem");
        segSmem = ctx.constantInt("ssd_seg_n16_p32_s4_t16_smem");
        ssdoSmem = ctx.constantInt(SSDO_KERNEL + "_smem");
        ctx.allowSharedMemory(SSDO_KERNEL, ssdoSmem);
        ctx.allowSharedMemory(SEG_STATE, segSmem);
        ctx.allowSharedMemory(SEG_OUT, segSmem);
        int optin = ctx.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        ctx.allowSharedMemory("mlstm_chunk_state", Math.min(optin, MLSTM_SMEM_CAP));
        ctx.allowSharedMemory("mlstm_chunk_out", Math.min(optin, MLSTM_SMEM_CAP));
        for (MmaOperands f : MmaOperands.values()) {
            ctx.allowSharedMemory(f.stateKernel(), Math.min(optin, MMA_MLSTM_SMEM_CAP));
            ctx.allowSharedMemory(f.outKernel(), Math.min(optin, MMA_MLSTM_SMEM_CAP));
        }
        gateBytesPerToken = ctx.constantInt("mlstm_gate_bytes_per_token");
        for (int i = 0; i < FUSED_DH.length; ++i) {
            String kernel = fusedKernel(FUSED_DH[i]);
            fusedSmem[i] = ctx.constantInt(kernel + "_smem");
            fusedSmemBq[i] = ctx.constantInt(kernel + "_bq_smem");
            fusedChunk[i] = ctx.constantInt(kernel + "_chunk");
            ctx.allowSharedMemory(kernel, fusedSmem[i]);
            ctx.allowSharedMemory(kernel + "_bq", fusedSmemBq[i]);
            // the segment rule counts the resident blocks of the build with fewer (the same on an H100: one)
            fusedBlocksPerSm[i] = Math.max(1, Math.min(ctx.blocksPerSm(kernel, FUSED_THREADS, fusedSmem[i]),
                    ctx.blocksPerSm(kernel + "_bq", FUSED_THREADS, fusedSmemBq[i])));
        }
        for (int i = 0; i < WG_DH.length; ++i) {
            String wk = wgKernel(WG_DH[i]);
            wgSmem[i] = ctx.constantInt(wk + "_smem");
            wgChunk[i] = ctx.constantInt(wk + "_chunk");
            wgThreads[i] = ctx.constantInt(wk + "_threads");
            ctx.allowSharedMemory(wk, wgSmem[i]);
            wgBlocksPerSm[i] = Math.max(1, ctx.blocksPerSm(wk, wgThreads[i], wgSmem[i]));
        }
        ctx.allowSharedMemory(LANES_KERNEL, lanesSmem);
        mmaSmem = ctx.constantInt(MMA_KERNEL + "_smem");
        ctx.allowSharedMemory(MMA_KERNEL, mmaSmem);
        tf32Smem = ctx.constantInt(TF32_KERNEL + "_smem");
        ctx.allowSharedMemory(TF32_KERNEL, tf32Smem);
        wgmmaSmem = ctx.constantInt(WGMMA_KERNEL + "_smem");
        ctx.allowSharedMemory(WGMMA_KERNEL, wgmmaSmem);
        wgmma = probeSm90a(ctx);
        probeSmem = ctx.constantInt("bf16_peak_probe_smem");
        wgmmaBf16Smem = ctx.constantInt(WGMMA_BF16_KERNEL + "_smem");
        ctx.allowSharedMemory(WGMMA_BF16_KERNEL, wgmmaBf16Smem);
        ctx.allowSharedMemory(BLOCK_KERNEL, blockSmem);
        chunks = new ScanChunks(ctx.smCount(), Math.max(1, ctx.blocksPerSm("ss_out1_n16", 128, 0)),
                Math.max(1, Math.min(ctx.blocksPerSm("ssd_state1_n16", 128, 0), ctx.blocksPerSm("ssd_out1_n16", 128, 0))),
                Math.max(1, ctx.blocksPerSm(SEG_OUT, SEG_THREADS, segSmem)));
    }

    public CudaContext context() { return ctx; }

    /**
     * Forces the chunk length of the chunk-parallel selective scan / SSD (tests use it to cross chunk
     * boundaries at small sizes); 0 restores the automatic choice.
     */
    public void setScanChunkLen(int len) {
        if (len < 0 && len != LANES && len != BLOCK && len != SSD_BODY) throw new IllegalArgumentException("chunk length " + len);
        scanChunkLen = len;
    }

    private DeviceBuffer scratch(String name, long bytes) {
        DeviceBuffer b = scratch.get(name);
        if (b == null || b.bytes() < bytes) {
            if (b != null) b.close();
            b = ctx.alloc(Math.max(bytes, 4));
            scratch.put(name, b);
        }
        return b;
    }

    private boolean useLanes(String kind, int nmax, int b, int e) {
        if (!kind.equals("ss") || nmax != 64) return false;
        if (scanChunkLen == LANES) return true;
        return scanChunkLen == 0 && (long) b * e >= LANES_MIN_CHANNELS;
    }

    private boolean useBlock(String kind, int nmax) {
        return kind.equals("ss") && nmax <= 16 && scanChunkLen == BLOCK;
    }

    /**
     * One pass of the chunk-parallel body at state width 16 (ss_out1_n16 / ssd_out1_n16), unless a
     * chunk length is forced, once B·E channels fill one 128-thread block per SM (Mamba-1) or two (SSD,
     * whose segment kernel is faster below that). H100 (results-h100/scan-prefetch/): Mamba-1 at L64K
     * E1536 in one pass 57% of the copy bandwidth at B11 (one block per SM), 77% at B22, 80% at B44,
     * against 46% cut into chunks (every exp twice); SSD H24 P64 one pass 39% / 59% / 72% at B11 / B22 /
     * B44 against the segment kernel's 47% / 47% / 48% (ssd-shared-dt/).
     */
    boolean onePassN16(String kind, int nmax, int b, int e) {
        long perSm = kind.equals("ssd") ? 256 : scanOnePassPerSm;
        return scanChunkLen == 0 && nmax == 16 && (long) b * e >= perSm * ctx.smCount();
    }

    /**
     * Chunk length of the parallel scan: the forced one, else (also under LANES or BLOCK, for the scans
     * that have no such kernel) enough (b, chunk, channel) threads to fill the GPU.
     */
    int scanChunk(int b, int l, int e) {
        return scanChunkLen > 0 ? scanChunkLen : chunks.general(b, l, e);
    }

    /**
     * Chunk length of the SSD cut into chunks at width 16 (ssd_state1_n16 / ssd_out1_n16): the forced one, else
     * {@link ScanChunks#ssd} at {@link #setSsdCutWaves} waves.
     */
    int ssdChunk(int b, int l, int blocksPerRow) {
        return scanChunkLen > 0 ? scanChunkLen : chunks.ssd(b, l, blocksPerRow, ssdCutWaves);
    }

    /**
     * The state pass of the SSD cut into chunks (chunk-parallel body, any N). AUTO (default): BACKWARD above N 16
     * and for chunks of at least {@link #SSD_BACKWARD_MIN_CHUNK} tokens, else MMA. MMA: ssd_state_mma,
     * each 32-token step's state contribution as one (B ⊙ w)ᵀ X product on tensor cores at fp32 accuracy
     * (3xTF32), a warp per (chunk, head, 32 head dims, 16 states); SCALAR: ssd_state1_n16 / ssd_state_n8 /
     * ssd_state_n64, the recurrence token by token; BACKWARD: ssd_tail_n*, token by token from each chunk's end,
     * stopping where the head's decay leaves the tokens before below 2^-32 (see {@link ScanState}). Same outputs
     * (chunk states and Σδ) for ss_combine and the output pass.
     */
    public enum SsdState {
        AUTO, MMA, SCALAR, BACKWARD;

        /** Parses an option value: auto, mma, scalar or backward (any case). */
        public static SsdState parse(String s) {
            return parseOption(SsdState.class, s, "SSD state pass must be auto, mma, scalar or backward");
        }
    }

    /**
     * AUTO takes the backward pass above N 16 and for chunks of at least this many tokens, else the tensor-core
     * one. H100 (results-h100/scan-tail/), bench inputs / slow decays, ms: N16 B1 L1M H24 (chunks of 5958) 6.46 /
     * 7.27 against 8.69 / 8.85 on tensor cores, B8 L64K H24 (2979) 3.47 / 3.98 against 4.31 / 4.98; N64 B1 L1M H24
     * 17.8 / 18.5 against 26.1 / 26.1, B1 L64K H12 (chunks of 372) 1.03 / 1.00 against 1.06 / 1.04; but N16 B1
     * L64K H12 (chunks of 745) 0.40-0.48 against 0.35.
     */
    static final int SSD_BACKWARD_MIN_CHUNK = 1024;

    /** The state pass an SSD with state size n cut into chunks of this length runs (AUTO resolved). */
    SsdState ssdStatePass(int n, int chunk) {
        if (ssdState != SsdState.AUTO) return ssdState;
        return n > 16 || chunk >= SSD_BACKWARD_MIN_CHUNK ? SsdState.BACKWARD : SsdState.MMA;
    }

    private static final int SSDM_DIMS = 32, SSDM_WARPS = 4; // ssd_state_mma: head dims per warp, warps per block
    private SsdState ssdState = SsdState.AUTO;

    /**
     * The output pass of the SSD at N 56-64 (chunk-parallel body, cut or in one chunk). MMA (default):
     * ssd_out_mma_n64, each 32-token step as C Bᵀ, M X and C·H_in products on tensor cores at fp32 accuracy
     * (3xTF32); SCALAR: ssd_out_n64 / ssd_out1_n64, token by token. H100 (results-h100/ssd-state-mma/out-mma/,
     * whole op with the tensor-core state pass): N64 P64 B8 L64K H24 13.0 against 15.9 ms, B1 L1M 25.7 /
     * 31.2, B64 L4096 H24 (one chunk) 4.42 / 6.50. Below N 56 the scalar pass, whose work grows with N while
     * this one computes all 64 states, stays (not measured there).
     */
    public enum SsdOut {
        MMA, SCALAR;

        /** Parses an option value: mma or scalar (any case). */
        public static SsdOut parse(String s) {
            return parseOption(SsdOut.class, s, "SSD output pass must be mma or scalar");
        }
    }

    private static final String SSDO_KERNEL = "ssd_out_mma_n64";
    private static final int SSDO_DIMS = 64, SSDO_THREADS = 128, SSDO_MIN_N = 56; // head dims and threads per block
    private SsdOut ssdOut = SsdOut.MMA;

    /** Chooses the SSD's output pass at N 56-64 (see {@link SsdOut}); returns the previous choice. */
    public SsdOut setSsdOut(SsdOut pass) {
        if (pass == null) throw new IllegalArgumentException("pass must not be null");
        SsdOut was = ssdOut;
        ssdOut = pass;
        return was;
    }

    /** Whether an SSD with state size n runs its output pass on tensor cores. */
    public boolean ssdOutOnTensorCores(int n) {
        return ssdOut == SsdOut.MMA && n >= SSDO_MIN_N && n <= 64;
    }

    /** Chooses the SSD's chunked state pass (see {@link SsdState}); returns the previous choice. */
    public SsdState setSsdState(SsdState pass) {
        if (pass == null) throw new IllegalArgumentException("pass must not be null");
        SsdState was = ssdState;
        ssdState = pass;
        return was;
    }

    /**
     * The state pass of the Mamba-1 scan cut into chunks. BACKWARD (default): ss_tail_n*, each chunk walked from
     * its end, stopping once the weight of the tokens before it is below 2^-32 for every state of a block's
     * channels (scan_tail.cuh: what it drops is below fp32 rounding; where nothing decays it walks the whole
     * chunk); FORWARD: ss_state_n*, every token of every chunk. Same outputs for ss_combine and the output pass.
     */
    public enum ScanState {
        BACKWARD, FORWARD;

        /** Parses an option value: backward or forward (any case). */
        public static ScanState parse(String s) {
            return parseOption(ScanState.class, s, "scan state pass must be backward or forward");
        }
    }

    private ScanState scanState = ScanState.BACKWARD;
    /**
     * H100 (results-h100/scan-tail/), bench inputs (decays within ~3K tokens) / slow decays (Mamba's initial δ
     * 0.001-0.1, A in [-16, -1]), % of the copy bandwidth against the forward pass's 43-46%: B1 L1M E1536
     * 71.4 / 50.8 at 4 (72.6 / 57.0 at 2, 67.5 / 45.9 under the general rule), E768 64.9 / 43.1, E384 57.6 / 44.6,
     * B8 L1M E384 77.1 / 57.5, B8 L64K E768 56.7 / 44.7; at 1 and 2 the slow decays lost up to 20 points where the
     * walks cover whole chunks with few blocks.
     */
    static final int SCAN_CUT_WAVES = 4;
    private int scanCutWaves = SCAN_CUT_WAVES;

    /** Chooses the Mamba-1 scan's chunked state pass (see {@link ScanState}); returns the previous choice. */
    public ScanState setScanState(ScanState pass) {
        if (pass == null) throw new IllegalArgumentException("pass must not be null");
        ScanState was = scanState;
        scanState = pass;
        return was;
    }

    /**
     * Chunk count of the Mamba-1 scan at N &lt;= 16 cut into chunks under the backward state pass: with w &gt; 0,
     * enough chunks for w times the channels that fill one 128-thread block per SM (past one wave of the output
     * build's resident blocks, rounded down to whole waves), and the output pass on the one-pass build
     * (ss_out1_n16); 0 keeps the general rule ({@link #scanChunk}) and ss_out_n16. Returns the previous value.
     */
    public int setScanCutWaves(int w) {
        if (w < 0) throw new IllegalArgumentException("waves must be >= 0, got " + w);
        int was = scanCutWaves;
        scanCutWaves = w;
        return was;
    }

    private int scanOnePassPerSm = 128;
    private int ssdCutWaves = 2;

    /**
     * Waves of resident blocks the SSD at N &lt;= 16 cut into chunks aims for (default 2, see {@link #ssdChunk}).
     * Returns the previous value.
     */
    public int setSsdCutWaves(int waves) {
        if (waves < 1) throw new IllegalArgumentException("waves must be >= 1, got " + waves);
        int was = ssdCutWaves;
        ssdCutWaves = waves;
        return was;
    }

    /**
     * Channels per SM from which the Mamba-1 scan at N &lt;= 16 runs in one pass (default 128: one block per SM);
     * below, it is cut into chunks. Returns the previous value.
     */
    public int setScanOnePassPerSm(int channels) {
        if (channels < 1) throw new IllegalArgumentException("channels per SM must be >= 1, got " + channels);
        int was = scanOnePassPerSm;
        scanOnePassPerSm = channels;
        return was;
    }

    /** Whether a Mamba-1 scan of this shape is cut into chunks and so runs a state pass. */
    public boolean scanRunsStatePass(int b, int l, int e, int n) {
        int nmax = stateWidth(n);
        if (b == 0 || l == 0 || e == 0 || useLanes("ss", nmax, b, e) || useBlock("ss", nmax)) return false;
        return bodyChunk("ss", nmax, onePassN16("ss", nmax, b, e), b, l, e, 1) < l;
    }

    /** Whether the Mamba-1 scan cut into chunks takes the wave rule and the one-pass output build. */
    private boolean cutByWaves(String kind, int nmax) {
        return kind.equals("ss") && nmax == 16 && scanState == ScanState.BACKWARD && scanCutWaves > 0 && scanChunkLen == 0;
    }

    private static int stateWidth(int n) {
        if (n < 1 || n > MAX_STATE) {
            throw new IllegalArgumentException("state size N = " + n + " not supported by the cuda scan kernels (1.." + MAX_STATE + ")");
        }
        return n <= 8 ? 8 : n <= 16 ? 16 : 64;
    }

    // ------------------------------------------------------------------ recurrent ops

    /** Mamba-1 selective scan; h (B, E, N) in/out; out (B, L, E). */
    public void selectiveScan(DeviceBuffer u, DeviceBuffer delta, DeviceBuffer a, DeviceBuffer bm, DeviceBuffer cm,
                              DeviceBuffer d, DeviceBuffer z, DeviceBuffer dbias, boolean softplus, DeviceBuffer h,
                              DeviceBuffer out, int b, int l, int e, int n) {
        scan("ss", u, delta, a, bm, cm, d, z, dbias, softplus, h, out, b, l, e, n, e, 1);
    }

    /** Mamba-2 SSD; x (B, L, H, P) viewed as E = H·P channels; state (B, H, P, N) in/out. */
    public void ssd(DeviceBuffer x, DeviceBuffer dt, DeviceBuffer a, DeviceBuffer bm, DeviceBuffer cm, DeviceBuffer d,
                    DeviceBuffer dtBias, boolean softplus, DeviceBuffer state, DeviceBuffer y,
                    int b, int l, int heads, int p, int g, int n) {
        if (g < 1 || heads % g != 0) throw new IllegalArgumentException("heads " + heads + " not divisible by groups " + g);
        scan("ssd", x, dt, a, bm, cm, d, null, dtBias, softplus, state, y, b, l, heads * p, n, heads, g);
    }

    private void scan(String kind, DeviceBuffer u, DeviceBuffer delta, DeviceBuffer a, DeviceBuffer bm, DeviceBuffer cm,
                      DeviceBuffer d, DeviceBuffer z, DeviceBuffer dbias, boolean softplus, DeviceBuffer h,
                      DeviceBuffer out, int b, int l, int e, int n, int heads, int g) {
        int nmax = stateWidth(n);
        if (b == 0 || l == 0 || e == 0) return; // L = 0: the state passes through unchanged
        if (useLanes(kind, nmax, b, e)) {
            int eg = e / g;
            ctx.launch(LANES_KERNEL, g * ((eg + LANES_CPB - 1) / LANES_CPB), b, 1, LANES_THREADS, lanesSmem,
                    u, delta, a, bm, cm, d, z, dbias, softplus ? 1 : 0, h, out, l, e, n, heads, g);
            return;
        }
        boolean onePass = onePassN16(kind, nmax, b, e);
        if (kind.equals("ssd") && nmax <= 16 && !onePass && useSegment(b, l, heads, e / heads, g, nmax)) {
            segSsd(u, delta, a, bm, cm, d, dbias, softplus, h, out, b, l, e, n, heads, g);
            return;
        }
        if (useBlock(kind, nmax)) {
            int eg = e / g;
            ctx.launch(BLOCK_KERNEL, g * ((eg + BLOCK_W - 1) / BLOCK_W), b, 1, BLOCK_THREADS, blockSmem,
                    u, delta, a, bm, cm, d, z, dbias, softplus ? 1 : 0, h, out, l, e, n, g);
            return;
        }
        int block = bodyBlock(e, g), gx = bodyGx(e, g);
        // SSD at width 16: the 8-token-group builds for both passes, at their own chunk count
        boolean wideSsd = kind.equals("ssd") && nmax == 16;
        int chunk = bodyChunk(kind, nmax, onePass, b, l, e, g);
        int nch = (l + chunk - 1) / chunk;
        if (nch > 65535) throw new IllegalArgumentException("scan chunk " + chunk + " gives " + nch + " chunks (max 65535)");
        // one chunk at N <= 16: the one-pass build (more registers per thread, 8 tokens a group); the SSD at
        // width 64 likewise has a one-chunk build
        String outKernel = (nch == 1 || wideSsd || cutByWaves(kind, nmax)) && nmax == 16 ? kind + "_out1_n16"
                : nch == 1 && nmax == 64 && kind.equals("ssd") ? "ssd_out1_n64" : kind + "_out_n" + nmax;
        SsdState ssdPass = kind.equals("ssd") ? ssdStatePass(n, chunk) : null;
        boolean backward = kind.equals("ssd") ? ssdPass == SsdState.BACKWARD : scanState == ScanState.BACKWARD;
        String stateKernel = backward ? kind + "_tail_n" + nmax : wideSsd ? "ssd_state1_n16" : kind + "_state_n" + nmax;
        Grid stateGrid = new Grid(stateKernel, gx, block, 0), outGrid = new Grid(outKernel, gx, block, 0);
        if (ssdPass == SsdState.MMA) {
            long warps = (long) heads * ((e / heads + SSDM_DIMS - 1) / SSDM_DIMS) * ((n + 15) / 16);
            stateGrid = new Grid("ssd_state_mma", (int) ((warps + SSDM_WARPS - 1) / SSDM_WARPS), 32 * SSDM_WARPS, 0);
        }
        if (kind.equals("ssd") && ssdOutOnTensorCores(n)) {
            outGrid = new Grid(SSDO_KERNEL, heads * ((e / heads + SSDO_DIMS - 1) / SSDO_DIMS), SSDO_THREADS, ssdoSmem);
        }
        chunkedLaunch(stateGrid, outGrid, new Object[] {u, delta, a, bm, cm, d, z, dbias, softplus ? 1 : 0}, a,
                kind.equals("ssd"), h, out, b, l, e, n, heads, g, nch, chunk);
    }

    /** Chunk length of the chunk-parallel body for a scan of this shape (l when it runs in one pass). */
    private int bodyChunk(String kind, int nmax, boolean onePass, int b, int l, int e, int g) {
        if (onePass) return l;
        if (cutByWaves(kind, nmax)) return chunks.waves(b, l, e, bodyGx(e, g), scanCutWaves);
        return Math.min(kind.equals("ssd") && nmax == 16 ? ssdChunk(b, l, bodyGx(e, g)) : scanChunk(b, l, e), l);
    }

    /** Threads per block of the chunk-parallel body: a thread per channel of a group, at most 128. */
    private static int bodyBlock(int e, int g) {
        return Math.min(128, (e / g + 31) / 32 * 32);
    }

    /** Blocks in x of the chunk-parallel body: enough per group for its channels. */
    private static int bodyGx(int e, int g) {
        int block = bodyBlock(e, g);
        return g * ((e / g + block - 1) / block);
    }

    /**
     * Whether an SSD of this shape runs a chunked state pass (the one {@link SsdState} chooses): the
     * chunk-parallel body (not the one-pass build, not the segment kernel) with more than one chunk.
     */
    public boolean ssdRunsStatePass(int b, int l, int heads, int p, int g, int n) {
        int nmax = stateWidth(n), e = heads * p;
        if (b == 0 || l == 0 || e == 0) return false;
        if (nmax > 16) return bodyChunk("ssd", nmax, false, b, l, e, g) < l;
        boolean onePass = onePassN16("ssd", nmax, b, e);
        if (!onePass && useSegment(b, l, heads, p, g, nmax)) return false;
        return bodyChunk("ssd", nmax, onePass, b, l, e, g) < l;
    }

    /**
     * Whether an SSD with N <= 16 below the one-pass batch runs on the segment kernel rather than the
     * chunk-parallel body cut into chunks. With a forced chunk length: the segment kernel (tests reach it
     * so); under {@link #SSD_BODY} the body. With the scalar state pass or at N <= 8: the segment kernel
     * unless it would need chunks itself. With the tensor-core state pass at N 9-16: the body where its
     * chunks fill one wave of its blocks, or
     * half a wave where the segment kernel would need chunks; else the segment kernel. H100
     * (results-h100/ssd-state-mma/, body against segment): B8 L64K H24 P64 4.23 against 5.06 ms, B4 L64K
     * 2.14 / 3.35, B16 L16K 2.14 / 2.50, B2 L8K 0.18 / 0.25 (0.73 wave), B64 L4096 H6 0.62 / 0.63; where
     * the rule keeps the segment kernel: B1 L4096 H12 0.082 / 0.047, B4 L2048 H12 0.092 / 0.082, B16 L1024
     * H24 0.187 / 0.169, B32 L2048 H12 0.336 / 0.325.
     */
    boolean useSegment(int b, int l, int heads, int p, int g, int nmax) {
        if (scanChunkLen > 0) return true;
        if (scanChunkLen == SSD_BODY) return false;
        boolean segCuts = segNeedsChunks(b, l, heads, p);
        if (ssdState == SsdState.SCALAR || nmax != 16) return !segCuts;
        int gx = bodyGx(heads * p, g), chunk = Math.min(ssdChunk(b, l, gx), l);
        long bodyBlocks = (long) b * gx * ((l + chunk - 1) / chunk);
        long slots = chunks.wideSlots();
        return !(bodyBlocks >= slots || (segCuts && 2 * bodyBlocks >= slots));
    }

    /** One pass's launch: kernel, blocks in x (the grid's y and z are chunks and batch rows), threads, shared bytes. */
    private record Grid(String kernel, int gx, int block, int smem) {}

    /**
     * The launches of a scan whose sequence is cut into nch chunks: state pass, ss_combine (which
     * needs A: per head for SSD) and output pass; with one chunk the output pass alone. Both passes
     * take {@code inputs} followed by (state, hloc, sdelta, out, L, E, N, H, G, NCH, chunk length).
     */
    private void chunkedLaunch(Grid statePass, Grid outPass, Object[] inputs, DeviceBuffer a, boolean aPerHead,
                               DeviceBuffer state, DeviceBuffer out, int b, int l, int e, int n, int heads, int g, int nch,
                               int chunk) {
        DeviceBuffer hloc = null, sdelta = null;
        if (nch > 1) {
            hloc = scratch("scan.hloc", 4L * b * nch * n * e);
            sdelta = scratch("scan.sdelta", 4L * b * nch * e);
            ctx.launch(statePass.kernel(), statePass.gx(), nch, b, statePass.block(), statePass.smem(),
                    withTail(inputs, state, hloc, sdelta, null, l, e, n, heads, g, nch, chunk));
            long total = (long) b * n * e;
            ctx.launch("ss_combine", (int) ((total + 255) / 256), 1, 1, 256, 0,
                    a, aPerHead ? 1 : 0, state, hloc, sdelta, b, e, n, heads, nch);
        }
        ctx.launch(outPass.kernel(), outPass.gx(), nch, b, outPass.block(), outPass.smem(),
                withTail(inputs, state, hloc, sdelta, out, l, e, n, heads, g, nch, chunk));
    }

    private static Object[] withTail(Object[] inputs, Object... tail) {
        Object[] all = java.util.Arrays.copyOf(inputs, inputs.length + tail.length);
        System.arraycopy(tail, 0, all, inputs.length, tail.length);
        return all;
    }

    /**
     * Whether the segment SSD would cut the sequence into chunks on its own (few heads, long sequence):
     * there the chunk-parallel body, which shares δ per head and loads a group ahead, is faster. H100
     * (results-h100/scan-prefetch/ssd-shared-dt/ssd_seg.txt, N16 H24 P64): B1 L1M 10.9 ms against 13.2,
     * B1 L64K 0.73 against 0.89; where the segment kernel runs in one pass (B8 L64K, B64 L4096 H6) it
     * stays faster (5.0 against 5.5 ms, 0.64 against 0.71).
     */
    boolean segNeedsChunks(int b, int l, int heads, int p) {
        return scanChunkLen == 0 && segChunk(b, l, heads, p) < l;
    }

    /** Chunk length of the segment SSD: the forced one, else {@link ScanChunks#segment}. */
    int segChunk(int b, int l, int heads, int p) {
        return scanChunkLen > 0 ? scanChunkLen : chunks.segment(b, l, heads, p, SEG_PB, SEG_TILE);
    }

    private void segSsd(DeviceBuffer x, DeviceBuffer dt, DeviceBuffer a, DeviceBuffer bm, DeviceBuffer cm, DeviceBuffer d,
                        DeviceBuffer dtBias, boolean softplus, DeviceBuffer state, DeviceBuffer y,
                        int b, int l, int e, int n, int heads, int g) {
        int p = e / heads;
        int chunk = Math.min(segChunk(b, l, heads, p), l);
        int nch = (l + chunk - 1) / chunk;
        if (nch > 65535) throw new IllegalArgumentException("SSD chunk " + chunk + " gives " + nch + " chunks (max 65535)");
        int gx = heads * ((p + SEG_PB - 1) / SEG_PB);
        chunkedLaunch(new Grid(SEG_STATE, gx, SEG_THREADS, segSmem), new Grid(SEG_OUT, gx, SEG_THREADS, segSmem),
                new Object[] {x, dt, a, bm, cm, d, dtBias, softplus ? 1 : 0},
                a, true, state, y, b, l, e, n, heads, g, nch, chunk);
    }

    /** Chunk length the mLSTM kernels use for a requested one: bounded by shared memory. */
    public static int mlstmChunk(int requested, int l, int dh) {
        int q = Math.max(1, Math.min(requested, Math.max(1, l)));
        while (q > 1 && Math.max(mlstmOutSmem(q, dh), mlstmStateSmem(q, dh)) > MLSTM_SMEM_CAP) q = (q + 1) / 2;
        if (mlstmOutSmem(q, dh) > MLSTM_SMEM_CAP) throw new IllegalArgumentException("mLSTM head dim " + dh + " too large for the cuda kernels");
        return q;
    }

    static int mlstmStateSmem(int q, int dh) { return 8 * q + 4 * (2 * q * dh + 2 * q); }

    static int mlstmOutSmem(int q, int dh) { return 16 * q + 4 * (2 * q * (dh + 1) + q * dh + q * (q + 1) + 3 * q); }

    /**
     * The fp32 mode's chunkwise mLSTM. TF32X3: the three-pass tensor-core form with 3xTF32 products at fp32
     * accuracy ({@code mlstm_mma.cuh}); head dims not divisible by 16 run SIMT. SIMT: the fp32 kernels of
     * {@code mlstm.cuh} on CUDA cores. AUTO (default): TF32X3 from head dim {@link #TF32_MLSTM_MIN_DH}, where an
     * H100 ran it faster (NOTES.md, "The chunkwise mLSTM on tensor cores at fp32 accuracy"), else SIMT.
     */
    public enum Fp32Mlstm {
        AUTO, TF32X3, SIMT;

        /** Parses an option value: auto, tf32x3 or simt (any case). */
        public static Fp32Mlstm parse(String s) {
            return parseOption(Fp32Mlstm.class, s, "fp32Mlstm must be auto, tf32x3 or simt");
        }
    }

    static final int TF32_MLSTM_MIN_DH = 96;
    private Fp32Mlstm fp32Mlstm = Fp32Mlstm.AUTO;

    /** Chooses the fp32 mLSTM's kernels (see {@link Fp32Mlstm}); returns the choice it replaces. */
    public Fp32Mlstm setFp32Mlstm(Fp32Mlstm form) {
        if (form == null) throw new IllegalArgumentException("form must not be null");
        Fp32Mlstm was = fp32Mlstm;
        fp32Mlstm = form;
        return was;
    }

    /** The kernels an fp32 mLSTM with this head dim runs. */
    public Fp32Mlstm fp32MlstmForm(int dh) { return fp32MlstmForm(fp32Mlstm, dh); }

    /** The kernels an fp32 mLSTM with this head dim runs under a choice (TF32X3 or SIMT, never AUTO). */
    static Fp32Mlstm fp32MlstmForm(Fp32Mlstm choice, int dh) {
        if (dh % 16 != 0 || choice == Fp32Mlstm.SIMT) return Fp32Mlstm.SIMT;
        return choice == Fp32Mlstm.TF32X3 || dh >= TF32_MLSTM_MIN_DH ? Fp32Mlstm.TF32X3 : Fp32Mlstm.SIMT;
    }

    /** The chunk an fp32 mLSTM runs for a requested one: {@link MmaOperands#chunk} or {@link #mlstmChunk}. */
    public int fp32MlstmChunk(int requested, int l, int dh) {
        return fp32MlstmForm(dh) == Fp32Mlstm.TF32X3 ? MmaOperands.TF32X3.chunk(requested, l, dh) : mlstmChunk(requested, l, dh);
    }

    /**
     * mLSTM chunkwise at fp32 accuracy; c (B, NH, DH, DH), n (B, NH, DH), m (B, NH) in/out; h (B, L, NH, DH).
     * Kernels by {@link #fp32MlstmForm}, chunk by {@link #fp32MlstmChunk}.
     */
    public void mlstm(int chunk, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer ig, DeviceBuffer fg,
                      DeviceBuffer c, DeviceBuffer n, DeviceBuffer m, DeviceBuffer h, int b, int l, int nh, int dh,
                      double eps) {
        if (b == 0 || l == 0 || nh == 0) return;
        int qc = fp32MlstmChunk(chunk, l, dh);
        if (fp32MlstmForm(dh) == Fp32Mlstm.TF32X3) {
            mlstmPasses(MmaOperands.TF32X3, qc, q, k, v, ig, fg, c, n, m, h, b, l, nh, dh, eps);
        } else {
            mlstmPasses("mlstm_chunk_state", mlstmStateSmem(qc, dh), "mlstm_chunk_out", mlstmOutSmem(qc, dh), qc,
                    q, k, v, ig, fg, c, n, m, h, b, l, nh, dh, eps);
        }
    }

    private void mlstmPasses(MmaOperands f, int qc, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer ig,
                             DeviceBuffer fg, DeviceBuffer c, DeviceBuffer n, DeviceBuffer m, DeviceBuffer h, int b, int l,
                             int nh, int dh, double eps) {
        mlstmPasses(f.stateKernel(), f.stateSmem(qc, dh), f.outKernel(), f.outSmem(qc, dh), qc, q, k, v, ig, fg, c, n, m, h,
                b, l, nh, dh, eps);
    }

    /**
     * The chunkwise mLSTM's launches with the given chunk passes (fp32 or bf16, same arguments and
     * layouts): chunk states, decays, the combine walk over the chunks, chunk outputs.
     */
    private void mlstmPasses(String stateKernel, int stateSmem, String outKernel, int outSmem, int qc,
                             DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer ig, DeviceBuffer fg,
                             DeviceBuffer c, DeviceBuffer n, DeviceBuffer m, DeviceBuffer h, int b, int l, int nh, int dh,
                             double eps) {
        int nch = (l + qc - 1) / qc;
        long bhc = (long) b * nh * nch;
        DeviceBuffer cl = scratch("mlstm.C", 4L * bhc * dh * dh);
        DeviceBuffer nl = scratch("mlstm.n", 4L * bhc * dh);
        DeviceBuffer ml = scratch("mlstm.m", 8L * bhc);    // fp64: log-domain sums (see mlstm.cuh)
        DeviceBuffer gl = scratch("mlstm.g", 8L * bhc);
        DeviceBuffer mi = scratch("mlstm.mIn", 8L * bhc);
        DeviceBuffer fd = scratch("mlstm.fdec", 4L * bhc);
        DeviceBuffer lw = scratch("mlstm.lw", 4L * bhc);
        ctx.launch(stateKernel, nch, nh, b, 256, stateSmem, k, v, ig, fg, cl, nl, ml, gl, l, nh, dh, qc);
        ctx.launch("mlstm_chunk_decay", (b * nh + 127) / 128, 1, 1, 128, 0, m, ml, gl, mi, fd, lw, b * nh, nch);
        long total = (long) b * nh * (dh * dh + dh);
        ctx.launch("mlstm_combine", (int) ((total + 255) / 256), 1, 1, 256, 0, c, n, cl, nl, fd, lw, b, nh, dh, nch);
        ctx.launch(outKernel, nch, nh, b, 256, outSmem, q, k, v, ig, fg, cl, nl, mi, h, l, nh, dh, qc, (float) eps);
    }

    /**
     * Operand forms of the three-pass tensor-core mLSTM ({@code mlstm_mma.cuh}): bytes of one staged
     * operand, its row pad in elements, and the suffix of the kernels' names. BF16: the bf16 mode's form.
     * TF32X3: fp32 operands split for 3xTF32 products, the fp32 mode's form.
     */
    public enum MmaOperands {
        BF16(2, 8, "_bf16"), TF32X3(4, 4, "_tf32");

        private final int bytes, pad;
        private final String suffix;

        MmaOperands(int bytes, int pad, String suffix) {
            this.bytes = bytes;
            this.pad = pad;
            this.suffix = suffix;
        }

        String stateKernel() { return "mlstm_chunk_state" + suffix; }

        String outKernel() { return "mlstm_chunk_out" + suffix; }

        /** Dynamic shared memory of pass 1 (layout in mlstm_mma.cuh, same formula). */
        int stateSmem(int q, int dh) { return 2 * bytes * q * (dh + pad) + 24 * q + 16; }

        /** Dynamic shared memory of pass 3 (layout in mlstm_mma.cuh, same formula). */
        int outSmem(int q, int dh) {
            int ns = dh <= 128 ? dh : dh % 64 == 0 ? 64 : dh % 32 == 0 ? 32 : 16;
            return bytes * (q * (dh + pad) + Math.max(q * (dh + pad), dh * (ns + pad)) + q * (ns + pad) + q * (q + pad))
                    + 4 * q * (Math.max(q, ns) + 4) + 28 * q;
        }

        /**
         * Chunk length for a requested one: rounded down to a multiple of 16 (at least 16), at most l rounded
         * up to 16, then the largest multiple of 16 below it whose passes fit the shared-memory cap (fewer
         * chunks: less state traffic, C is DH² floats per chunk through memory; 3xTF32 at DH 384 fits 48).
         */
        public int chunk(int requested, int l, int dh) {
            int qc = Math.min(Math.max(16, requested / 16 * 16), (Math.max(1, l) + 15) / 16 * 16);
            while (qc > 16 && Math.max(outSmem(qc, dh), stateSmem(qc, dh)) > MMA_MLSTM_SMEM_CAP) qc -= 16;
            if (Math.max(outSmem(qc, dh), stateSmem(qc, dh)) > MMA_MLSTM_SMEM_CAP)
                throw new IllegalArgumentException("mLSTM head dim " + dh + " too large for the " + name() + " tensor-core kernels");
            return qc;
        }
    }

    /**
     * mLSTM chunkwise on bf16 tensor cores (q, k, v and the incoming state rounded to bf16, fp32
     * accumulation, states fp32; see mlstm_mma.cuh and mlstm_fused.cuh); same contract as {@link #mlstm}.
     * Needs dh % 16 == 0 (callers fall back to {@link #mlstm} otherwise). The form is {@link #bf16MlstmForm}.
     * THREE_PASS runs the chunk of {@link MmaOperands#chunk}; FUSED its kernel's own chunk
     * ({@link #fusedMlstmChunk}).
     */
    public void mlstmBf16(int chunk, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer ig, DeviceBuffer fg,
                          DeviceBuffer c, DeviceBuffer n, DeviceBuffer m, DeviceBuffer h, int b, int l, int nh, int dh,
                          double eps) {
        if (dh % 16 != 0) throw new IllegalArgumentException("bf16 mLSTM needs a head dim divisible by 16, got " + dh);
        if (b == 0 || l == 0 || nh == 0) return;
        if (bf16MlstmForm(dh) == Bf16Mlstm.FUSED) {
            mlstmFused(q, k, v, ig, fg, c, n, m, h, b, l, nh, dh, eps);
            return;
        }
        mlstmPasses(MmaOperands.BF16, MmaOperands.BF16.chunk(chunk, l, dh), q, k, v, ig, fg, c, n, m, h, b, l, nh, dh, eps);
    }

    /**
     * Launch forms of the bf16 chunkwise mLSTM. THREE_PASS: chunk states materialized in memory
     * ({@code mlstm_mma.cuh}; any head dim divisible by 16, the requested chunk). FUSED: each block keeps
     * its 64-column slab of C in registers while it walks the chunks in order ({@code mlstm_fused.cuh}),
     * built for head dims 128, 256, 384 and 512 with its own chunk (64; 32 at 512), other head dims run
     * THREE_PASS. The default is FUSED: on an H100 it was 1.2-3.7x faster than THREE_PASS at every
     * measured shape (NOTES.md, "mLSTM with the state on chip").
     */
    public enum Bf16Mlstm {
        THREE_PASS, FUSED;

        /** Parses an option value: three-pass or fused (any case, '-' or '_'). */
        public static Bf16Mlstm parse(String s) {
            return parseOption(Bf16Mlstm.class, s, "bf16 mLSTM form must be three-pass or fused");
        }
    }

    private static final int[] FUSED_DH = {128, 256, 384, 512};
    private static final int FUSED_THREADS = 256, FUSED_SLAB = 64;
    // dynamic shared memory of the fp32-input builds and of the _bq builds (which add buffers for the next chunk's
    // q, k, gates and v where they fit, mlstm_fused.cuh)
    private final int[] fusedSmem = new int[FUSED_DH.length], fusedSmemBq = new int[FUSED_DH.length];
    private final int[] fusedChunk = new int[FUSED_DH.length];
    private int gateBytesPerToken;   // mlstm_gate_prep's record size per token (b, a fp64, ĩ fp32)
    private final int[] fusedBlocksPerSm = new int[FUSED_DH.length];
    // the wgmma builds (mlstm_wgmma.cuh, sm_90a; DH 64, 96 and 192 run with their key channels padded to 128 and 256,
    // DH 96 with its second value slab padded too): shared memory, chunk, threads (one warpgroup up to a padded head
    // dim of 256, else two) and resident blocks per head dim
    private static final int[] WG_DH = {64, 96, 128, 192, 256, 384, 512};
    private final int[] wgSmem = new int[WG_DH.length], wgChunk = new int[WG_DH.length], wgThreads = new int[WG_DH.length];
    private final int[] wgBlocksPerSm = new int[WG_DH.length];
    private FusedKernel fusedKernel = FusedKernel.AUTO;
    private Bf16Mlstm bf16Mlstm = Bf16Mlstm.FUSED;
    private int fusedSegments; // 0 = chosen by shape
    private FusedQk fusedQk = FusedQk.BY_SHAPE;

    private static String fusedKernel(int dh) { return "mlstm_fused_d" + dh; }

    private static String wgKernel(int dh) { return "mlstm_wg_d" + dh; }

    /** Value slabs of a head, one block each (the wgmma build at DH 96 pads its second slab's channels past DH). */
    private static int fusedSlabs(int dh) {
        return (dh + FUSED_SLAB - 1) / FUSED_SLAB;
    }

    private static int wgIndex(int dh) {
        for (int i = 0; i < WG_DH.length; ++i) if (WG_DH[i] == dh) return i;
        return -1;
    }

    private static int fusedIndex(int dh) {
        for (int i = 0; i < FUSED_DH.length; ++i) if (FUSED_DH[i] == dh) return i;
        return -1;
    }

    /** An option value as a constant of E: its name in any case, '-' for '_'; else what it must be and what it was. */
    static <E extends Enum<E>> E parseOption(Class<E> type, String s, String mustBe) {
        String t = s == null ? "" : s.trim().replace('-', '_');
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(t)) return e;
        throw new IllegalArgumentException(mustBe + ", got '" + s + "'");
    }

    /** Chooses the bf16 mLSTM's launch form (see {@link Bf16Mlstm}); returns the one it replaces. */
    public Bf16Mlstm setBf16Mlstm(Bf16Mlstm form) {
        if (form == null) throw new IllegalArgumentException("form must not be null");
        Bf16Mlstm was = bf16Mlstm;
        bf16Mlstm = form;
        return was;
    }

    /**
     * The form a bf16 mLSTM with this head dim runs: fused where a fused kernel takes the head dim under the current
     * options (mma.sync: 128/256/384/512; wgmma: also 64 and 192), else three-pass.
     */
    public Bf16Mlstm bf16MlstmForm(int dh) {
        return bf16Mlstm == Bf16Mlstm.FUSED && (fusedIndex(dh) >= 0 || fusedWgmma(dh)) ? Bf16Mlstm.FUSED : Bf16Mlstm.THREE_PASS;
    }

    /**
     * How the fused mLSTM takes q and k. FP32: loaded as fp32 and rounded to bf16 while staging (8 loads in
     * flight per thread). BF16: converted to bf16 by a launch before the kernel, whose {@code _bq} build
     * copies them into shared memory with cp.async (every copy of a chunk in flight at once). Both round to
     * nearest even at the same place, so the outputs are the same bits. The {@code _bq} builds also copy the
     * next chunk's inputs while a chunk computes, which made them the faster path at every timed shape on an
     * H100 (results-h100/fused-mlstm-prefetch/; before that they won only when segmented at DH >= 256,
     * results-h100/fused-mlstm-bf16-qk/). BY_SHAPE (default) therefore takes BF16 at every head dim; the name
     * stays so that existing configurations keep parsing.
     */
    public enum FusedQk {
        BY_SHAPE, FP32, BF16;

        /** Parses an option value: by-shape, fp32 or bf16 (any case, '-' or '_'). */
        public static FusedQk parse(String s) {
            return parseOption(FusedQk.class, s, "fused mLSTM q/k input must be by-shape, fp32 or bf16");
        }
    }

    /** Chooses how the fused mLSTM takes q and k (see {@link FusedQk}); returns the previous choice. */
    public FusedQk setFusedQk(FusedQk mode) {
        if (mode == null) throw new IllegalArgumentException("mode must not be null");
        FusedQk was = fusedQk;
        fusedQk = mode;
        return was;
    }

    /** Whether the fused mLSTM takes q and k in bf16 (its {@code _bq} builds). */
    public boolean fusedQkBf16() {
        return fusedQk != FusedQk.FP32;
    }

    /**
     * Which kernel the fused mLSTM runs when q and k are given in bf16. AUTO (default): the wgmma kernel
     * (mlstm_wgmma.cuh: every product issued by warpgroups, the state in wgmma accumulators, chunk 64) where the
     * driver loaded the fatbin's sm_90a build, else the mma.sync {@code _bq} build; on an H100 the wgmma kernel was
     * 1.25-1.7x the mma.sync one at every benched shape (NOTES.md, "The fused mLSTM on wgmma" and the section after
     * it), and it also takes DH 64, 96 and 192 (key channels padded to 128 and 256), which have no mma.sync fused
     * kernel. MMA: always the mma.sync build. WGMMA: the wgmma kernel, refused where the sm_90a build did not load.
     * Both round q, k, v, P, u ⊙ v and C⁻ to bf16 at the same places; their chunks differ (64 against 32 at DH 384/512), so their bits do.
     * With {@code fusedQk=fp32} the fused mLSTM runs the mma.sync fp32-input build whatever this says (AUTO), or is
     * refused (WGMMA).
     */
    public enum FusedKernel {
        AUTO, MMA, WGMMA;

        /** Parses an option value: auto, mma or wgmma (any case). */
        public static FusedKernel parse(String s) {
            return parseOption(FusedKernel.class, s, "fused mLSTM kernel must be auto, mma or wgmma");
        }
    }

    /** Chooses the fused mLSTM's kernel (see {@link FusedKernel}); returns the previous choice. */
    public FusedKernel setFusedKernel(FusedKernel mode) {
        if (mode == null) throw new IllegalArgumentException("mode must not be null");
        if (mode == FusedKernel.WGMMA && !wgmma)
            throw new IllegalStateException("fusedKernel=wgmma: the driver did not load the fatbin's sm_90a build (wgmma needs an sm_90 GPU)");
        FusedKernel was = fusedKernel;
        fusedKernel = mode;
        return was;
    }

    /** The fused mLSTM kernels that can run here: mma.sync, and wgmma where the sm_90a build loaded. */
    public FusedKernel[] fusedKernels() {
        return wgmma ? new FusedKernel[] {FusedKernel.MMA, FusedKernel.WGMMA} : new FusedKernel[] {FusedKernel.MMA};
    }

    /** Whether a fused mLSTM with this head dim runs the wgmma kernel under the current options. */
    public boolean fusedWgmma(int dh) {
        if (wgIndex(dh) < 0 || fusedKernel == FusedKernel.MMA) return false;
        if (!fusedQkBf16()) {
            if (fusedKernel == FusedKernel.WGMMA)
                throw new IllegalStateException("fusedKernel=wgmma takes q and k in bf16: it cannot run with fusedQk=fp32");
            return false;
        }
        return wgmma;
    }

    /** Forces the fused mLSTM's segment count (tests cover one walk and the segment combine); 0 = by shape. */
    public void setFusedMlstmSegments(int g) {
        if (g < 0) throw new IllegalArgumentException("segments " + g);
        fusedSegments = g;
    }

    /**
     * Segments of the fused mLSTM for a shape: the forced count where one is set, else {@link FusedSegments}'s
     * estimate over the B·NH·DH/64 slab blocks, the SM count and the build's resident blocks per SM (each extra
     * segment costs a state-only pass over k and v and a combine, and buys parallelism where the blocks do not fill
     * the GPU).
     */
    public int fusedMlstmSegments(int b, int l, int nh, int dh) {
        int qc = fusedMlstmChunk(dh);
        int nch = (l + qc - 1) / qc;
        if (fusedSegments > 0) return FusedSegments.effective(nch, Math.min(fusedSegments, nch));
        long blocks = (long) b * nh * fusedSlabs(dh);
        int perSm = fusedWgmma(dh) ? wgBlocksPerSm[wgIndex(dh)] : fusedBlocksPerSm[fusedIndex(dh)];
        return FusedSegments.choose(blocks, nch, ctx.smCount(), perSm, dh);
    }

    /** The fused launches (mlstm_fused.cuh header): one walk, or segment states, decay, combine and outputs. */
    private void mlstmFused(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer ig, DeviceBuffer fg,
                            DeviceBuffer c, DeviceBuffer n, DeviceBuffer m, DeviceBuffer h, int b, int l, int nh, int dh,
                            double eps) {
        boolean wg = fusedWgmma(dh);   // implies bf16 q and k
        int i = wg ? wgIndex(dh) : fusedIndex(dh);
        String kernel = fusedKernel(dh);
        int qc = fusedMlstmChunk(dh);
        int nch = (l + qc - 1) / qc;
        int g = fusedMlstmSegments(b, l, nh, dh);
        int smem = wg ? wgSmem[i] : fusedQkBf16() ? fusedSmemBq[i] : fusedSmem[i];
        int threads = wg ? wgThreads[i] : FUSED_THREADS;
        Object gates = CudaContext.NULL;
        if (fusedQkBf16()) {
            gates = scratch("mlstm.fused.gates", (long) b * nh * nch * gateBytesPerToken * qc);
            ctx.launch("mlstm_gate_prep", (nch + 3) / 4, nh, b, 128, 0, ig, fg, gates, l, nh, qc);
            long nx = (long) b * l * nh * dh;
            DeviceBuffer qb = scratch("mlstm.fused.qBf16", 2L * nx), kb = scratch("mlstm.fused.kBf16", 2L * nx);
            toBf16Pair(q, k, qb, kb, nx);
            q = qb;
            k = kb;
            kernel = wg ? wgKernel(dh) : kernel + "_bq";
        }
        int spc = (nch + g - 1) / g;
        long bh = (long) b * nh;
        int gx = fusedSlabs(dh) * g;
        float e = (float) eps;
        if (g == 1) {
            // every slab block reads n and m at its start and the first writes them at its end: inputs are copies
            DeviceBuffer n0 = scratch("mlstm.fused.n0", 4L * bh * dh), m0 = scratch("mlstm.fused.m0", 4L * bh);
            n0.copyFrom(n, 4L * bh * dh);
            m0.copyFrom(m, 4L * bh);
            ctx.launch(kernel, gx, nh, b, threads, smem, q, k, v, ig, fg, c, n0, CudaContext.NULL, m0, h,
                    c, n, CudaContext.NULL, m, CudaContext.NULL, l, nh, 1, spc, e, 0, gates);
            return;
        }
        long bhg = bh * g;
        DeviceBuffer cs = scratch("mlstm.C", 4L * bhg * dh * dh), ns = scratch("mlstm.n", 4L * bhg * dh);
        DeviceBuffer ms = scratch("mlstm.m", 8L * bhg), gs = scratch("mlstm.g", 8L * bhg), mi = scratch("mlstm.mIn", 8L * bhg);
        DeviceBuffer fd = scratch("mlstm.fdec", 4L * bhg), lw = scratch("mlstm.lw", 4L * bhg);
        ctx.launch(kernel, gx, nh, b, threads, smem, q, k, v, ig, fg, CudaContext.NULL, CudaContext.NULL, CudaContext.NULL,
                CudaContext.NULL, h, cs, ns, ms, CudaContext.NULL, gs, l, nh, g, spc, e, 1, gates);
        ctx.launch("mlstm_chunk_decay", (int) ((bh + 127) / 128), 1, 1, 128, 0, m, ms, gs, mi, fd, lw, (int) bh, g);
        long total = bh * (dh * dh + dh);
        ctx.launch("mlstm_combine", (int) ((total + 255) / 256), 1, 1, 256, 0, c, n, cs, ns, fd, lw, b, nh, dh, g);
        ctx.launch(kernel, gx, nh, b, threads, smem, q, k, v, ig, fg, cs, ns, mi, CudaContext.NULL, h,
                CudaContext.NULL, CudaContext.NULL, CudaContext.NULL, CudaContext.NULL, CudaContext.NULL, l, nh, g, spc, e, 0,
                gates);
    }

    /** Chunk length the fused mLSTM kernel for this head dim runs at under the current options; -1 where there is none. */
    public int fusedMlstmChunk(int dh) {
        if (fusedWgmma(dh)) return wgChunk[wgIndex(dh)];
        int i = fusedIndex(dh);
        return i < 0 ? -1 : fusedChunk[i];
    }

    /** Causal depthwise conv1d; newTail (B, K-1, C) receives the tail after x (tail is read only). */
    public void causalConv1d(DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer tail, DeviceBuffer newTail,
                             DeviceBuffer out, int b, int l, int c, int k, boolean silu) {
        ctx.launch1d("conv1d_causal", (long) b * l * c, 256, x, w, bias, tail, out, b, l, c, k, silu ? 1 : 0);
        long nt = (long) b * (k - 1) * c;
        if (nt > 0) ctx.launch("conv1d_tail", (int) ((nt + 255) / 256), 1, 1, 256, 0, x, tail, newTail, b, l, c, k);
    }

    // ------------------------------------------------------------------ dense ops

    /**
     * Forces the fp32 GEMM tile (64 or 128; 0 = automatic: 128×128 tiles when they give at least one
     * block per SM, else 64×64). Tests use it to run both kernels on small shapes.
     */
    public void setGemmTile(int tile) {
        if (tile != 0 && tile != 64 && tile != 128) throw new IllegalArgumentException("gemm tile " + tile + " (0, 64 or 128)");
        gemmTile = tile;
    }

    /**
     * The fp32 GEMM kernels: SIMT fp32 (64×64 or 128×128 tiles, any K), 3xTF32 on tensor cores with mma.sync
     * (TF32X3) or wgmma (WGMMA, the fatbin's sm_90a build only), both K % 4 == 0.
     */
    public enum Fp32Gemm {
        AUTO, SIMT, TF32X3, WGMMA;

        /** Parses an option value: auto, simt, tf32x3 or wgmma (any case). */
        public static Fp32Gemm parse(String s) {
            return parseOption(Fp32Gemm.class, s, "fp32Gemm must be auto, simt, tf32x3 or wgmma");
        }
    }

    static final String TF32_KERNEL = "gemm_nt_tf32x3", WGMMA_KERNEL = "gemm_nt_tf32x3_wgmma";

    private static boolean probeSm90a(CudaContext ctx) {
        try (DeviceBuffer flag = ctx.alloc(4)) {
            ctx.launch("sm90a_probe", 1, 1, 1, 1, 0, flag);
            return Float.floatToRawIntBits(flag.download(new float[1])[0]) == 1;   // an int written by the kernel
        }
    }

    /** Whether the 3xTF32 GEMM on wgmma can run here: the driver loaded the fatbin's sm_90a build. */
    public boolean wgmmaAvailable() { return wgmma; }

    /**
     * Forces an fp32 GEMM kernel (tests run each on small shapes); the tensor-core ones still need K % 4 == 0.
     * WGMMA where the sm_90a build did not load is refused, with the reason. Returns the kernel it replaces.
     */
    public Fp32Gemm setFp32Gemm(Fp32Gemm kernel) {
        if (kernel == null) throw new IllegalArgumentException("kernel must not be null");
        if (kernel == Fp32Gemm.WGMMA && !wgmma) {
            throw new IllegalStateException("fp32Gemm=wgmma: the driver did not load the fatbin's sm_90a build (wgmma needs an sm_90 GPU)");
        }
        Fp32Gemm was = fp32Gemm;
        fp32Gemm = kernel;
        return was;
    }

    /**
     * The kernel an fp32 GEMM of this shape runs: 3xTF32 when its 16-byte rows allow (K % 4 == 0) and,
     * unless forced, its 128×128 tiles give every SM a block, on wgmma where the sm_90a build loaded (H100,
     * NOTES.md "The 3xTF32 GEMM on wgmma": 1.15-1.24x the mma.sync kernel); else SIMT.
     */
    Fp32Gemm fp32GemmKernel(int m, int no, int k) {
        if (k % 4 != 0 || fp32Gemm == Fp32Gemm.SIMT) return Fp32Gemm.SIMT;
        if (fp32Gemm == Fp32Gemm.TF32X3 || fp32Gemm == Fp32Gemm.WGMMA) return fp32Gemm;
        long blocks = (long) ((m + 127) / 128) * ((no + 127) / 128);
        return blocks < ctx.smCount() ? Fp32Gemm.SIMT : wgmma ? Fp32Gemm.WGMMA : Fp32Gemm.TF32X3;
    }

    /** y (M, NO) = x (M, K) · w (NO, K)ᵀ + bias. */
    public void gemm(DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer y, int m, int no, int k) {
        if (m == 0 || no == 0) return;
        Fp32Gemm kernel = fp32GemmKernel(m, no, k);
        if (kernel == Fp32Gemm.TF32X3 || kernel == Fp32Gemm.WGMMA) {
            boolean wg = kernel == Fp32Gemm.WGMMA;
            ctx.launch(wg ? WGMMA_KERNEL : TF32_KERNEL, (no + 127) / 128, (m + 127) / 128, 1, 256, wg ? wgmmaSmem : tf32Smem,
                    x, w, bias, y, m, no, k);
            return;
        }
        long big = (long) ((m + 127) / 128) * ((no + 127) / 128);
        boolean use128 = gemmTile == 128 || (gemmTile == 0 && big >= ctx.smCount());
        if (use128) {
            // float4 row loads need every row start 16-byte aligned: K % 4 == 0 (buffers start aligned)
            ctx.launch(k % 4 == 0 ? "gemm_nt128_vec" : "gemm_nt128_any", (no + 127) / 128, (m + 127) / 128, 1, 256, 0,
                    x, w, bias, y, m, no, k);
        } else {
            ctx.launch("gemm_nt", (no + 63) / 64, (m + 63) / 64, 1, 256, 0, x, w, bias, y, m, no, k);
        }
    }

    /**
     * bf16 tensor-core GEMM: y (M, NO) = bf16(x) (M, K) · wBf16 (NO, K)ᵀ + bias, fp32 accumulation;
     * x, bias and y are fp32, wBf16 holds 2-byte bf16 values ({@link #toBf16}).
     */
    public void gemmBf16(DeviceBuffer x, DeviceBuffer wBf16, DeviceBuffer bias, DeviceBuffer y, int m, int no, int k) {
        if (m == 0 || no == 0) return;
        Bf16Gemm kernel = bf16GemmKernel(m, no, k);
        if (kernel == Bf16Gemm.WGMMA) {
            // x rounded to bf16 once (the same rounding the other kernels apply while staging), then both operands
            // go to shared memory by cp.async
            DeviceBuffer xb = scratch("gemm.xBf16", 2L * m * k);
            toBf16(x, xb, (long) m * k);
            ctx.launch(WGMMA_BF16_KERNEL, (int) wideTiles(m, no), 1, 1, 256, wgmmaBf16Smem, xb, wBf16, bias, y, m, no, k);
            return;
        }
        if (kernel == Bf16Gemm.MMA) {
            ctx.launch(MMA_KERNEL, (m + 127) / 128, (no + 255) / 256, 1, 256, mmaSmem, x, wBf16, bias, y, m, no, k);
            return;
        }
        // 16-byte loads need every row start aligned: K % 8 == 0 (8 bf16 / 2 float4)
        ctx.launch(k % 8 == 0 ? "gemm_bf16_nt_vec" : "gemm_bf16_nt_any", (m + 127) / 128, (no + 127) / 128, 1, 256, 0,
                x, wBf16, bias, y, m, no, k);
    }

    /**
     * The bf16 GEMM kernels: WMMA 128×128 tiles (any K), mma.sync 128×256 tiles (K % 8 == 0), wgmma 128×256 tiles on
     * x converted to bf16 first (K % 8 == 0, the fatbin's sm_90a build only).
     */
    public enum Bf16Gemm {
        AUTO, WMMA, MMA, WGMMA;

        /** Parses an option value: auto, wmma, mma or wgmma (any case). */
        public static Bf16Gemm parse(String s) {
            return parseOption(Bf16Gemm.class, s, "bf16Gemm must be auto, wmma, mma or wgmma");
        }
    }

    static final String MMA_KERNEL = "gemm_bf16_nt_mma", WGMMA_BF16_KERNEL = "gemm_bf16_nt_wgmma";

    /**
     * Forces a bf16 GEMM kernel (tests run each on small shapes); MMA and WGMMA still need K % 8 == 0 (else WMMA runs),
     * and WGMMA where the sm_90a build did not load is refused, with the reason. Returns the one it replaces.
     */
    public Bf16Gemm setBf16Gemm(Bf16Gemm kernel) {
        if (kernel == null) throw new IllegalArgumentException("kernel must not be null");
        if (kernel == Bf16Gemm.WGMMA && !wgmma) {
            throw new IllegalStateException("bf16Gemm=wgmma: the driver did not load the fatbin's sm_90a build (wgmma needs an sm_90 GPU)");
        }
        Bf16Gemm was = bf16Gemm;
        bf16Gemm = kernel;
        return was;
    }

    /**
     * The kernel a bf16 GEMM of this shape runs: when its 16-byte weight rows allow (K % 8 == 0) and, unless forced,
     * its 128×256 tiles give every SM a block, mma.sync, or wgmma where the sm_90a build loaded and the tiles make
     * {@link #WGMMA_BF16_MIN_WAVES} waves (below that its extra launch for x's conversion and its 4-stage fill cost
     * more than it gains: M 4096 calls ran 6-10% slower than on mma.sync on an H100, M >= 16384 1.04-1.84x faster);
     * otherwise WMMA.
     */
    Bf16Gemm bf16GemmKernel(int m, int no, int k) {
        if (k % 8 != 0 || bf16Gemm == Bf16Gemm.WMMA) return Bf16Gemm.WMMA;
        if (bf16Gemm == Bf16Gemm.MMA || bf16Gemm == Bf16Gemm.WGMMA) return bf16Gemm;
        return autoBf16Gemm(m, no, ctx.smCount(), wgmma);
    }

    /** {@link #bf16GemmKernel}'s automatic choice for K % 8 == 0, by the 128×256 tiles, the SM count and wgmma. */
    static Bf16Gemm autoBf16Gemm(int m, int no, int sms, boolean wgmma) {
        long blocks = wideTiles(m, no);
        if (blocks < sms) return Bf16Gemm.WMMA;
        return wgmma && blocks >= (long) WGMMA_BF16_MIN_WAVES * sms ? Bf16Gemm.WGMMA : Bf16Gemm.MMA;
    }

    /** 128×256 output tiles of an M × NO product: the blocks of the mma.sync and wgmma bf16 GEMMs. */
    private static long wideTiles(int m, int no) { return (long) ((m + 127) / 128) * ((no + 255) / 256); }

    /** Waves of 128×256 tiles (one block per SM) from which the automatic bf16 GEMM takes wgmma. */
    static final int WGMMA_BF16_MIN_WAVES = 4;

    /** bf16 (round to nearest even) copy of n fp32 values; dst holds 2·n bytes. */
    public void toBf16(DeviceBuffer src, DeviceBuffer dst, long n) { ctx.launch1d("cvt_f32_bf16", n, 256, src, dst, n); }

    /** {@link #toBf16} of two arrays of n elements in one launch (the same bits). */
    public void toBf16Pair(DeviceBuffer src0, DeviceBuffer src1, DeviceBuffer dst0, DeviceBuffer dst1, long n) {
        ctx.launch1d("cvt_f32_bf16_pair", 2 * n, 256, src0, src1, dst0, dst1, n);
    }

    public void groupLayerNorm(DeviceBuffer x, DeviceBuffer y, DeviceBuffer gamma, DeviceBuffer beta, long rows, int c,
                               int gs, double eps) {
        long warps = rows * (c / gs);
        if (warps == 0) return;
        ctx.launch("group_layernorm", (int) ((warps * 32 + 255) / 256), 1, 1, 256, 0, x, y, gamma, beta, rows, c, gs, (float) eps);
    }

    /** RMS norm per group; zGate non-null gates first (y·silu(z)). */
    public void groupRms(DeviceBuffer x, DeviceBuffer zGate, DeviceBuffer y, DeviceBuffer w, long rows, int c, int gs,
                         double eps) {
        long warps = rows * (c / gs);
        if (warps == 0) return;
        ctx.launch("group_rms", (int) ((warps * 32 + 255) / 256), 1, 1, 256, 0, x, zGate, y, w, rows, c, gs, (float) eps);
    }

    public void silu(DeviceBuffer x, DeviceBuffer y, long n) { ctx.launch1d("ew_silu", n, 256, x, y, n); }

    public void tanh(DeviceBuffer x, DeviceBuffer y, long n) { ctx.launch1d("ew_tanh", n, 256, x, y, n); }

    /** Column sums of x (B, L, D) in fp64 per segment of seg tokens: part (B, ⌈L/seg⌉, D). */
    public void sumAxis1(DeviceBuffer x, DeviceBuffer part, int b, int l, int d, int seg) {
        int segs = (l + seg - 1) / seg;
        ctx.launch("sum_axis1_f64", (d + 127) / 128, segs, b, 128, 0, x, part, l, d, seg);
    }

    /** acc (B, D) += the segs partial sums part (B, segs, D) of {@link #sumAxis1}, in segment order. */
    public void foldSums(DeviceBuffer part, DeviceBuffer acc, int b, int segs, int d) {
        ctx.launch1d("sum_fold_f64", (long) b * d, 128, part, acc, segs, d, b);
    }

    public void mul(DeviceBuffer a, DeviceBuffer b, DeviceBuffer y, long n) { ctx.launch1d("ew_mul", n, 256, a, b, y, n); }

    public void axpby(DeviceBuffer a, double s, DeviceBuffer b, double t, DeviceBuffer y, long n) {
        ctx.launch1d("ew_axpby", n, 256, a, (float) s, b, (float) t, y, n);
    }

    public void mulChannels(DeviceBuffer a, DeviceBuffer v, DeviceBuffer y, long n, int c) {
        ctx.launch1d("ew_mulch", n, 256, a, v, y, n, c);
    }

    public void headwiseLinear(DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer y, long rows, int e) {
        ctx.launch1d("headwise_linear", rows * e, 256, x, w, bias, y, rows, e);
    }

    public void rope(DeviceBuffer x, DeviceBuffer freq, DeviceBuffer pos0, DeviceBuffer y, int b, int l, int n, double rho) {
        ctx.launch1d("rope_defocus", (long) b * l * (n / 2), 256, x, freq, pos0, y, b, l, n, rho);
    }

    public void im2colPatch(DeviceBuffer img, DeviceBuffer cols, int b, int ch, int hh, int ww, int ps, int st, int hp, int wp) {
        ctx.launch1d("im2col_patch", (long) b * hp * wp * ch * ps * ps, 256, img, cols, b, ch, hh, ww, ps, st, hp, wp);
    }

    public void depthwise3x3(DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer y, int b, int hp, int wp, int e) {
        ctx.launch1d("dwconv3x3", (long) b * hp * wp * e, 256, x, w, bias, y, b, hp, wp, e);
    }

    /** in: (C, H, W) fp64 on the device; out (C, oh, ow) fp32. */
    public void bicubic(DeviceBuffer in, DeviceBuffer out, int c, int h, int w, int oh, int ow) {
        ctx.launch1d("bicubic_resize", (long) c * oh * ow, 256, in, out, c, h, w, oh, ow);
    }

    // ------------------------------------------------------------------ benchmark helpers

    public void fillUniform(DeviceBuffer p, long n, long seed, double lo, double hi) {
        ctx.launch1d("fill_uniform", n, 256, p, n, seed, (float) lo, (float) hi);
    }

    /**
     * The bf16 tensor-core peak probe (peak_probe.cuh): {@code blocks} blocks of {@code warpgroups} warpgroups (1-3)
     * issue {@code iters} × 4 wgmma m64n256k16 products each from shared memory. {@code wrong} (blocks · warpgroups ·
     * 128 floats) receives per thread how many of its accumulators are off the exact 64·iters; the FLOPs that ran are
     * {@link #bf16PeakProbeFlops}. The sm_90a build only.
     */
    public void bf16PeakProbe(DeviceBuffer wrong, int blocks, int warpgroups, int iters) {
        if (!wgmma) throw new IllegalStateException("the bf16 peak probe needs the fatbin's sm_90a build (wgmma)");
        if (warpgroups < 1 || warpgroups > 3 || blocks < 1 || iters < 1 || 64L * iters >= 1L << 24) {
            throw new IllegalArgumentException("bf16 peak probe: 1-3 warpgroups, blocks >= 1, 1 <= iters < 2^18");
        }
        ctx.launch("bf16_peak_probe", blocks, 1, 1, 128 * warpgroups, probeSmem, wrong, iters);
    }

    /** FLOPs of one {@link #bf16PeakProbe} launch: 2 · 64 · 256 · 64 per warpgroup and iteration. */
    public static double bf16PeakProbeFlops(int blocks, int warpgroups, int iters) {
        return 2.0 * 64 * 256 * 64 * iters * (double) warpgroups * blocks;
    }

    /** Copies n floats (n divisible by 4) with 16-byte accesses. */
    public void copy(DeviceBuffer src, DeviceBuffer dst, long n) {
        if (n % 4 != 0) throw new IllegalArgumentException("copy needs a multiple of 4 floats");
        long n4 = n / 4;
        if (n4 > 0) ctx.launch("copy_f4", (int) ((n4 + 255) / 256), 1, 1, 256, 0, src, dst, n4);
    }

    /** Frees the scratch buffers (they are allocated again when needed). */
    public void releaseScratch() {
        for (DeviceBuffer b : scratch.values()) b.close();
        scratch.clear();
    }

    @Override
    public void close() { releaseScratch(); }
}
