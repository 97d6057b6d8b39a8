package io.scanline.kernels.bench.cuda;

import io.scanline.kernels.backend.cuda.CudaContext;
import io.scanline.kernels.backend.cuda.CudaOps;
import io.scanline.kernels.backend.cuda.DeviceBuffer;
import io.scanline.kernels.backend.cuda.DeviceScope;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Device-resident benchmark of the cuda kernels (a benchmark, not a test): inputs are generated on the
 * GPU (host arrays cannot hold 10^9-element tensors), each case is timed with CUDA events after two
 * warm-up calls, and the median of the timed calls is reported with tokens/s, the bytes an ideal
 * kernel must move (each input read once, each output written once) over time as GB/s, that as a
 * fraction of the device's measured copy bandwidth, FLOP/s where the op is compute-heavy, and the
 * peak device memory of the case. bf16 rows are also put against the tensor-core peak measured by a probe kernel
 * (beside the datasheet's) and against their roofline ({@link Roofline}).
 *
 * <p>Glossary: B batch (images), L tokens per image, E channels, N state size, H/P heads/head dim
 * (SSD, E = H·P), NH/DH mLSTM heads/head dim, M/K/NO GEMM rows/inner/outputs.
 *
 * <p>Usage: {@code CudaBench [--quick] [--json FILE] [--max-gib G] [--scan-only|--ssd-only|--mlstm-only|--gemm-only|--scan-cut-sweep|--ssd-cut-sweep]};
 * system properties {@code scanline.cuda.scanState}, {@code scanline.cuda.scanCutWaves} and {@code scanline.cuda.ssdState}
 * set those backend options.
 */
public final class CudaBench {
    private final CudaContext ctx;
    private final CudaOps ops;
    private final int reps;
    private final long maxBytes;
    private final List<String> json = new ArrayList<>();
    private final PrintStream out;
    private double peakGBs = Double.NaN;
    private double peakBf16Tflops = Double.NaN;

    CudaBench(CudaContext ctx, int reps, long maxBytes, PrintStream out) {
        this.ctx = ctx;
        this.ops = new CudaOps(ctx);
        // the backend's options that change the scan's launches, for A/B runs of the bench
        String scanState = System.getProperty("scanline.cuda.scanState");
        if (scanState != null) ops.setScanState(CudaOps.ScanState.parse(scanState));
        String ssdState = System.getProperty("scanline.cuda.ssdState");
        if (ssdState != null) ops.setSsdState(CudaOps.SsdState.parse(ssdState));
        Integer waves = Integer.getInteger("scanline.cuda.scanCutWaves");
        if (waves != null) ops.setScanCutWaves(waves);
        this.reps = reps;
        this.maxBytes = maxBytes;
        this.out = out;
    }

    /** Which cases a run times (each after the copy peak). */
    public enum Part { ALL, SCANS, SSD, MLSTM, GEMMS, SCAN_CUT_SWEEP, SSD_CUT_SWEEP }

    public static void main(String[] args) throws IOException {
        List<String> as = Arrays.asList(args);
        Part part = as.contains("--gemm-only") ? Part.GEMMS : as.contains("--scan-only") ? Part.SCANS
                : as.contains("--scan-cut-sweep") ? Part.SCAN_CUT_SWEEP : as.contains("--ssd-cut-sweep") ? Part.SSD_CUT_SWEEP
                : as.contains("--ssd-only") ? Part.SSD : as.contains("--mlstm-only") ? Part.MLSTM : Part.ALL;
        Path jsonOut = null;
        double maxGiB = 40;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--json")) jsonOut = Path.of(args[++i]);
            if (args[i].equals("--max-gib")) maxGiB = Double.parseDouble(args[++i]);
        }
        run(as.contains("--quick"), part, jsonOut, maxGiB, System.out);
    }

    public static void run(boolean quick, Path jsonOut, double maxGiB, PrintStream out) throws IOException {
        run(quick, Part.ALL, jsonOut, maxGiB, out);
    }

    /** Runs the cases of {@code part} on device 0; writes the JSON array to jsonOut when given. */
    public static void run(boolean quick, Part part, Path jsonOut, double maxGiB, PrintStream out) throws IOException {
        try (CudaContext ctx = new CudaContext(0)) {
            CudaBench b = new CudaBench(ctx, quick ? 3 : 10, (long) (maxGiB * (1L << 30)), out);
            try {
                b.header();
                switch (part) {
                    case GEMMS -> b.gemms(quick);
                    case SCANS -> b.scans(quick);
                    case SCAN_CUT_SWEEP -> b.scanCutSweep();
                    case SSD_CUT_SWEEP -> b.ssdCutSweep();
                    case SSD -> b.ssds(quick);
                    case MLSTM -> b.mlstms(quick);
                    case ALL -> b.runAll(quick);
                }
            } finally {
                b.ops.close();
            }
            if (jsonOut != null) Files.writeString(jsonOut, "[\n" + String.join(",\n", b.json) + "\n]\n");
        }
    }

    private void header() {
        out.printf(Locale.ROOT, "device: %s, %d SMs, %d MiB%n", ctx.deviceName(), ctx.smCount(), ctx.totalMemory() >> 20);
        peak();
        peakBf16();
        out.printf(Locale.ROOT, "%-15s %-34s %9s %12s %9s %7s %9s %8s%n", "op", "shape", "ms(med)", "tokens/s", "GB/s",
                "%peak", "TFLOP/s", "mem GiB");
    }

    private static int[][] scanShapes(boolean quick) {
        return quick ? new int[][] {{1, 4096}, {1, 65536}} :
                new int[][] {{1, 4096}, {1, 65536}, {1, 1 << 20}, {8, 65536}, {64, 4096}, {64, 65536}, {8, 1 << 20}};
    }

    private void scans(boolean quick) {
        for (int e : quick ? new int[] {384} : new int[] {384, 768, 1536})
            for (int n : new int[] {16, 64}) for (int[] s : scanShapes(quick)) scan(s[0], s[1], e, n);
        // batches whose B·E channels fill the GPU alone: the one-pass build (B44 L64K E1536 needs ~71 GB)
        if (!quick) { scan(22, 65536, 1536, 16); scan(44, 65536, 1536, 16); scan(88, 65536, 768, 16); }
    }

    private void ssds(boolean quick) {
        int[][] bl = scanShapes(quick);
        for (int e : (quick ? new int[] {768} : new int[] {768, 1536})) {
            for (int n : new int[] {16, 64}) for (int[] s : bl) ssd(s[0], s[1], e / 64, 64, n);
        }
        if (!quick) { ssd(22, 65536, 24, 64, 16); ssd(44, 65536, 24, 64, 16); }
    }

    private void runAll(boolean quick) {
        scans(quick);
        ssds(quick);
        for (int[] s : (quick ? new int[][] {{1, 4096}} : new int[][] {{1, 4096}, {1, 65536}, {8, 65536}, {1, 1 << 20}, {64, 4096}})) {
            conv(s[0], s[1], 1536, 4);
        }
        mlstms(quick);
        gemms(quick);
    }

    /**
     * Chunkwise mLSTM: the fp32 kernels on CUDA cores and the fp32-accurate 3xTF32 tensor-core passes, then
     * the bf16 tensor-core passes (head dims divisible by 16), then for head dims with a fused kernel the
     * bf16 form with the state on chip.
     */
    private void mlstms(boolean quick) {
        int[][] ml = quick ? new int[][] {{1, 4096, 4, 96}} :
                new int[][] {{1, 4096, 4, 96}, {1, 4096, 4, 384}, {1, 65536, 4, 96}, {1, 65536, 4, 384}, {8, 65536, 4, 96}, {1, 1 << 20, 4, 96}, {64, 4096, 4, 96},
                        {8, 65536, 4, 192}, {8, 65536, 8, 64}, {8, 4096, 4, 256}, {8, 4096, 8, 512}, {8, 16384, 8, 512},
                        {1, 65536, 8, 512}, {8, 16384, 8, 256}, {8, 65536, 4, 128}};
        for (int[] s : ml) {
            // each fp32 form, then each bf16 form and input path, named in the op
            for (CudaOps.Fp32Mlstm f : new CudaOps.Fp32Mlstm[] {CudaOps.Fp32Mlstm.SIMT, CudaOps.Fp32Mlstm.TF32X3}) {
                under(ops::setFp32Mlstm, f, () -> mlstm(s[0], s[1], s[2], s[3], 64, false));
            }
            under(ops::setBf16Mlstm, CudaOps.Bf16Mlstm.THREE_PASS, () -> mlstm(s[0], s[1], s[2], s[3], 64, true));
            if (ops.fusedMlstmChunk(s[3]) <= 0) continue;
            for (CudaOps.FusedQk qk : new CudaOps.FusedQk[] {CudaOps.FusedQk.FP32, CudaOps.FusedQk.BF16}) {
                // with bf16 q and k: the mma.sync build, then the wgmma kernel where the sm_90a build loaded
                for (CudaOps.FusedKernel fk : qk == CudaOps.FusedQk.FP32
                        ? new CudaOps.FusedKernel[] {CudaOps.FusedKernel.MMA} : ops.fusedKernels()) {
                    // (a head dim only the wgmma kernel takes runs three-pass under the other settings: skipped)
                    under(ops::setBf16Mlstm, CudaOps.Bf16Mlstm.FUSED, () -> under(ops::setFusedQk, qk,
                            () -> under(ops::setFusedKernel, fk, () -> {
                                if (ops.bf16MlstmForm(s[3]) == CudaOps.Bf16Mlstm.FUSED) mlstm(s[0], s[1], s[2], s[3], 64, true);
                            })));
                }
            }
        }
    }

    private void gemms(boolean quick) {
        for (int[] g : (quick ? new int[][] {{4096, 768, 768}} : new int[][] {{65536, 768, 3072}, {65536, 3072, 768}, {16384, 1536, 1536},
                {4096, 768, 3072}, {8192, 8192, 8192}, {65536, 1000, 999}})) {
            gemm(g[0], g[1], g[2], false);
        }
        int[][] bf = quick ? new int[][] {{4096, 768, 768}} : new int[][] {{4096, 768, 3072}, {65536, 768, 3072},
                {65536, 3072, 768}, {16384, 1536, 1536}, {8192, 8192, 8192}, {16384, 4096, 4096}, {4097, 768, 1536}, {65536, 1000, 999}};
        for (int[] g : bf) gemm(g[0], g[1], g[2], true);
    }

    /** Device bandwidth ceiling: a large device-to-device copy, bytes read plus written. */
    private void peak() {
        long n = Math.min(1L << 29, maxBytes / 8 / 4 * 4); // 2 GiB each way
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer a = s.floats(n), b = s.floats(n);
            ops.fillUniform(a, n, 1, -1, 1);
            double ms = median(() -> ops.copy(a, b, n));
            peakGBs = 8.0 * n / (ms * 1e6);
            out.printf(Locale.ROOT, "measured copy bandwidth: %.0f GB/s (%.1f GiB read + written in %.3f ms)%n", peakGBs,
                    8.0 * n / (1L << 30), ms);
            json.add(String.format(Locale.ROOT, "{\"op\":\"copy_peak\",\"device\":\"%s\",\"bytes\":%d,\"ms\":%.4f,\"gb_s\":%.1f}",
                    ctx.deviceName(), 8 * n, ms, peakGBs));
        }
    }

    private double median(Runnable call) {
        call.run();
        call.run();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) t[i] = ctx.timeMs(call);
        Arrays.sort(t);
        return t[reps / 2];
    }

    private boolean fits(String op, String shape, long bytes) {
        if (bytes <= maxBytes) return true;
        out.printf(Locale.ROOT, "%-15s %-34s skipped: needs %.1f GiB (cap %.1f)%n", op, shape, bytes / (double) (1L << 30),
                maxBytes / (double) (1L << 30));
        return false;
    }

    private void report(String op, String shape, long tokens, double ms, double bytes, double flops) {
        report(op, "fp32", shape, tokens, ms, bytes, flops);
    }

    private void report(String op, String dtype, String shape, long tokens, double ms, double bytes, double flops) {
        double gbs = bytes / (ms * 1e6);
        double tflops = flops / (ms * 1e9);
        double mem = ctx.peakBytes() / (double) (1L << 30);
        out.printf(Locale.ROOT, "%-15s %-34s %9.3f %12.4g %9.0f %6.1f%% %9s %8.2f%n", op, shape, ms, tokens / (ms * 1e-3),
                gbs, 100 * gbs / peakGBs, flops > 0 ? String.format(Locale.ROOT, "%.2f", tflops) : "-", mem);
        json.add(String.format(Locale.ROOT,
                "{\"op\":\"%s\",\"shape\":\"%s\",\"device\":\"%s\",\"dtype\":\"%s\",\"ms_median\":%.4f,\"reps\":%d,"
                        + "\"tokens_per_s\":%.1f,\"gb_s\":%.1f,\"pct_of_copy_peak\":%.1f,\"tflop_s\":%.3f,\"peak_mem_gib\":%.3f}",
                op, shape, ctx.deviceName(), dtype, ms, reps, tokens / (ms * 1e-3), gbs, 100 * gbs / peakGBs, tflops, mem));
    }

    private void scan(int b, int l, int e, int n) {
        String shape = String.format("B%d L%d E%d N%d", b, l, e, n);
        long act = (long) b * l * e, bc = (long) b * l * n;
        if (!fits("selective_scan", shape, 4 * (4 * act + 2 * bc))) return;
        ops.releaseScratch();
        ctx.resetPeak();
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer u = s.floats(act), dl = s.floats(act), z = s.floats(act), y = s.floats(act);
            DeviceBuffer bm = s.floats(bc), cm = s.floats(bc), a = s.floats((long) e * n), d = s.floats(e), db = s.floats(e);
            DeviceBuffer h = s.floats((long) b * e * n);
            ops.fillUniform(u, act, 1, -1, 1);
            ops.fillUniform(dl, act, 2, -4, -1);     // softplus(Δ + bias) ~ 0.02..0.3: decays stay informative
            ops.fillUniform(z, act, 3, -2, 2);
            ops.fillUniform(bm, bc, 4, -1, 1);
            ops.fillUniform(cm, bc, 5, -1, 1);
            ops.fillUniform(a, (long) e * n, 6, -2, -0.1);
            ops.fillUniform(d, e, 7, 0, 1);
            ops.fillUniform(db, e, 8, -0.5, 0.5);
            ops.fillUniform(h, (long) b * e * n, 9, -0.1, 0.1);
            Runnable call = () -> ops.selectiveScan(u, dl, a, bm, cm, d, z, db, true, h, y, b, l, e, n);
            double bytes = 4.0 * (4 * act + 2 * bc);
            report("selective_scan", shape, (long) b * l, median(call), bytes, 0);
            if (!ops.scanRunsStatePass(b, l, e, n)) return;
            // cut into chunks: the forward state pass on the same inputs, then both on slow decays as Mamba's
            // initialisation gives them (per-channel δ near 0.001-0.1, A in [-16, -1]), where the backward pass walks
            // most of each chunk
            reportScanStates("selective_scan", shape, (long) b * l, call, bytes);
            ops.fillUniform(dl, act, 2, -1, 1);
            ops.fillUniform(db, e, 8, -6.9, -2.3);
            ops.fillUniform(a, (long) e * n, 6, -16, -1);
            report("selective_scan_slow_decay", shape, (long) b * l, median(call), bytes, 0);
            reportScanStates("selective_scan_slow_decay", shape, (long) b * l, call, bytes);
        }
    }

    /** The call again with the forward state pass, as op + "_fwd_state". */
    private void reportScanStates(String op, String shape, long tokens, Runnable call, double bytes) {
        under(ops::setScanState, CudaOps.ScanState.FORWARD, () -> report(op + "_fwd_state", shape, tokens, median(call), bytes, 0));
    }

    /**
     * The Mamba-1 scan cut into chunks under the backward state pass at several chunk counts
     * ({@link CudaOps#setScanCutWaves}; 0 is the general rule), against the forward pass at the general rule; first
     * (alone with the system property {@code scanline.bench.betweenOnly}) batches between one and three blocks of
     * channels per SM, in one pass and cut.
     */
    private void scanCutSweep() {
        int[][] between = {{64, 65536, 384}, {16, 65536, 1536}, {12, 65536, 1536}, {32, 65536, 768}};
        for (int[] sh : between) {
            out.printf(Locale.ROOT, "one pass%n");
            scan(sh[0], sh[1], sh[2], 16);
            under(ops::setScanOnePassPerSm, 1 << 20, () -> scanAtWaves(sh, 4, 8, 16));
        }
        if (Boolean.getBoolean("scanline.bench.betweenOnly")) return;
        int[][] shapes = {{1, 1 << 20, 1536}, {1, 1 << 20, 768}, {1, 1 << 20, 384}, {1, 65536, 1536}, {8, 65536, 768}, {8, 1 << 20, 384}};
        for (int[] sh : shapes) scanAtWaves(sh, 0, 1, 2, 4, 8);
    }

    /** The SSD at N 16 cut into chunks at 1, 2 and 4 waves of blocks ({@link CudaOps#setSsdCutWaves}). */
    private void ssdCutSweep() {
        int[][] shapes = {{1, 1 << 20, 24}, {1, 1 << 20, 12}, {8, 65536, 24}, {8, 65536, 12}, {1, 65536, 24}, {8, 1 << 20, 12}};
        for (int[] sh : shapes) atEach("ssd cut waves", ops::setSsdCutWaves, List.of(1, 2, 4), () -> ssd(sh[0], sh[1], sh[2], 64, 16));
    }

    /** The scan of shape {b, l, e} at N 16 under each cut-wave count. */
    private void scanAtWaves(int[] sh, Integer... waves) {
        atEach("cut waves", ops::setScanCutWaves, List.of(waves), () -> scan(sh[0], sh[1], sh[2], 16));
    }

    /** Runs the case once per value of a setting, each run headed by the setting's label and value. */
    private <T> void atEach(String label, UnaryOperator<T> set, List<T> values, Runnable run) {
        for (T v : values) {
            under(set, v, () -> {
                out.printf(Locale.ROOT, "%s %s%n", label, v);
                run.run();
            });
        }
    }

    /** Runs {@code run} with a setting at {@code value}; the setter returns the value it replaces, restored after. */
    private static <T> void under(UnaryOperator<T> set, T value, Runnable run) {
        T was = set.apply(value);
        try {
            run.run();
        } finally {
            set.apply(was);
        }
    }

    private void ssd(int b, int l, int heads, int p, int n) {
        int e = heads * p;
        String shape = String.format("B%d L%d H%d P%d N%d", b, l, heads, p, n);
        long act = (long) b * l * e, bc = (long) b * l * n, dtn = (long) b * l * heads;
        if (!fits("ssd", shape, 4 * (2 * act + 2 * bc + dtn))) return;
        ops.releaseScratch();
        ctx.resetPeak();
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer x = s.floats(act), y = s.floats(act), dt = s.floats(dtn), bm = s.floats(bc), cm = s.floats(bc);
            DeviceBuffer a = s.floats(heads), d = s.floats(heads), dtb = s.floats(heads), st = s.floats((long) b * e * n);
            ops.fillUniform(x, act, 11, -1, 1);
            ops.fillUniform(dt, dtn, 12, -4, -1);
            ops.fillUniform(bm, bc, 13, -1, 1);
            ops.fillUniform(cm, bc, 14, -1, 1);
            ops.fillUniform(a, heads, 15, -2, -0.1);
            ops.fillUniform(d, heads, 16, 0, 1);
            ops.fillUniform(dtb, heads, 17, -0.5, 0.5);
            ops.fillUniform(st, (long) b * e * n, 18, -0.1, 0.1);
            Runnable call = () -> ops.ssd(x, dt, a, bm, cm, d, dtb, true, st, y, b, l, heads, p, 1, n);
            double bytes = 4.0 * (2 * act + 2 * bc + dtn), flops = 4.0 * act * n; // 2 FMAs per state element and token
            report("ssd", shape, (long) b * l, median(call), bytes, flops);
            boolean cut = ops.ssdRunsStatePass(b, l, heads, p, 1, n);
            if (cut) reportSsdStates("ssd", shape, (long) b * l, call, bytes, flops);   // the other state passes
            if (ops.ssdOutOnTensorCores(n)) {
                under(ops::setSsdOut, CudaOps.SsdOut.SCALAR, () -> report("ssd_scalar_out", shape, (long) b * l, median(call), bytes, flops));
            }
            if (!cut) return;
            // slow decays as Mamba-2's initialisation gives them (per-head δ near 0.001-0.1, A in [-16, -1]), where
            // the backward state pass walks most of each chunk
            ops.fillUniform(dt, dtn, 12, -1, 1);
            ops.fillUniform(dtb, heads, 17, -6.9, -2.3);
            ops.fillUniform(a, heads, 15, -16, -1);
            report("ssd_slow_decay", shape, (long) b * l, median(call), bytes, flops);
            reportSsdStates("ssd_slow_decay", shape, (long) b * l, call, bytes, flops);
        }
    }

    /** The call again with each state pass but the configured one, as op + "_" + pass + "_state". */
    private void reportSsdStates(String op, String shape, long tokens, Runnable call, double bytes, double flops) {
        for (CudaOps.SsdState other : CudaOps.SsdState.values()) {
            CudaOps.SsdState was = ops.setSsdState(other);
            try {
                if (was != other) report(op + "_" + other.name().toLowerCase(Locale.ROOT) + "_state", shape, tokens, median(call), bytes, flops);
            } finally {
                ops.setSsdState(was);
            }
        }
    }

    private void conv(int b, int l, int c, int k) {
        String shape = String.format("B%d L%d C%d K%d", b, l, c, k);
        long act = (long) b * l * c;
        if (!fits("causal_conv1d", shape, 8 * act)) return;
        ops.releaseScratch();
        ctx.resetPeak();
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer x = s.floats(act), y = s.floats(act), w = s.floats((long) c * k), bias = s.floats(c);
            DeviceBuffer tail = s.floats((long) b * (k - 1) * c), nt = s.floats((long) b * (k - 1) * c);
            ops.fillUniform(x, act, 21, -1, 1);
            ops.fillUniform(w, (long) c * k, 22, -0.5, 0.5);
            ops.fillUniform(bias, c, 23, -0.5, 0.5);
            ops.fillUniform(tail, (long) b * (k - 1) * c, 24, -1, 1);
            double ms = median(() -> ops.causalConv1d(x, w, bias, tail, nt, y, b, l, c, k, true));
            report("causal_conv1d", shape, (long) b * l, ms, 8.0 * act, 0);
        }
    }

    private void mlstm(int b, int l, int nh, int dh, int chunk, boolean bf16) {
        long act = (long) b * l * nh * dh, gates = (long) b * l * nh;
        boolean fused = bf16 && ops.bf16MlstmForm(dh) == CudaOps.Bf16Mlstm.FUSED;
        int q = fused ? ops.fusedMlstmChunk(dh) : bf16 ? CudaOps.MmaOperands.BF16.chunk(chunk, l, dh) : ops.fp32MlstmChunk(chunk, l, dh);
        String shape = String.format("B%d L%d NH%d DH%d Q%d", b, l, nh, dh, q);
        long nch = (l + q - 1) / q;
        long scratch = 4L * b * nh * nch * (dh * dh + dh + 3) + (fused ? 4 * act : 0);
        if (!fits("mlstm", shape, 4 * (4 * act + 2 * gates) + scratch)) return;
        ops.releaseScratch();
        ctx.resetPeak();
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer qq = s.floats(act), k = s.floats(act), v = s.floats(act), h = s.floats(act);
            DeviceBuffer ig = s.floats(gates), fg = s.floats(gates);
            DeviceBuffer c = s.floats((long) b * nh * dh * dh), n = s.floats((long) b * nh * dh), m = s.floats((long) b * nh);
            ops.fillUniform(qq, act, 31, -1, 1);
            ops.fillUniform(k, act, 32, -1, 1);
            ops.fillUniform(v, act, 33, -1, 1);
            ops.fillUniform(ig, gates, 34, -2, 2);
            ops.fillUniform(fg, gates, 35, 1, 5);
            ops.fillUniform(c, (long) b * nh * dh * dh, 36, -0.1, 0.1);
            ops.fillUniform(n, (long) b * nh * dh, 37, -0.1, 0.1);
            ops.fillUniform(m, (long) b * nh, 38, 0, 1);
            double ms = median(() -> {
                if (bf16) ops.mlstmBf16(chunk, qq, k, v, ig, fg, c, n, m, h, b, l, nh, dh, 1e-6);
                else ops.mlstm(chunk, qq, k, v, ig, fg, c, n, m, h, b, l, nh, dh, 1e-6);
            });
            // the count bench-models uses too (OpFlops): 4·DH² + 4·Q·DH per token and head
            double flops = io.scanline.kernels.bench.OpFlops.mlstmChunkwise((long) b * l * nh, dh, q);
            boolean bq = fused && ops.fusedQkBf16();
            String op = fused ? (ops.fusedWgmma(dh) ? "mlstm_fused_bf16_wg" : bq ? "mlstm_fused_bf16_bq" : "mlstm_fused_bf16")
                    : bf16 ? "mlstm_chunkwise_bf16"
                    : ops.fp32MlstmForm(dh) == CudaOps.Fp32Mlstm.TF32X3 ? "mlstm_chunkwise_tf32x3" : "mlstm_chunkwise";
            double bytes = 4.0 * (4 * act + 2 * gates);
            report(op, shape, (long) b * l, ms, bytes, flops);
            if (bf16) printBf16Peak(op, shape, flops, bytes, ms);
        }
    }

    /** H100 SXM bf16 dense tensor-core peak (datasheet, no sparsity), printed beside the measured one. */
    static final double BF16_DENSE_PEAK_TFLOPS = 989;

    /**
     * A bf16 row against the measured tensor-core peak and the datasheet's, and against its roofline: the lower of the
     * measured peak and (FLOPs / bytes an ideal kernel moves) × the measured copy bandwidth. Where the roofline is the
     * bandwidth term the op is memory-bound at this shape, and no kernel reaches the tensor-core peak there.
     */
    private void printBf16Peak(String op, String shape, double flops, double bytes, double ms) {
        double tflops = flops / (ms * 1e9);
        if (Double.isNaN(peakBf16Tflops)) {   // no wgmma here, so no probe: the H100 datasheet figure only, said as such
            out.printf(Locale.ROOT, "%-15s %-34s %.1f%% of the H100 datasheet's bf16 peak (%.0f TFLOP/s); peak not measured here%n", "", "",
                    100 * tflops / BF16_DENSE_PEAK_TFLOPS, BF16_DENSE_PEAK_TFLOPS);
            return;
        }
        Roofline r = Roofline.of(flops, bytes, peakBf16Tflops, peakGBs);
        double ofMeasured = 100 * tflops / peakBf16Tflops, ofDatasheet = 100 * tflops / BF16_DENSE_PEAK_TFLOPS;
        double ofRoofline = 100 * tflops / r.tflops();
        out.printf(Locale.ROOT, "%-15s %-34s %.1f%% of the measured bf16 peak (%.0f TFLOP/s), %.1f%% of the datasheet's %.0f; "
                        + "roofline %.0f TFLOP/s (%s, %.0f FLOP/byte), %.1f%% of it%n", "", "", ofMeasured, peakBf16Tflops,
                ofDatasheet, BF16_DENSE_PEAK_TFLOPS, r.tflops(), r.memoryBound() ? "memory-bound" : "compute-bound",
                r.intensity(), ofRoofline);
        json.add(String.format(Locale.ROOT,
                "{\"op\":\"%s\",\"shape\":\"%s\",\"pct_of_measured_bf16_peak\":%.2f,\"pct_of_datasheet_bf16_peak\":%.2f,"
                        + "\"roofline_tflop_s\":%.1f,\"memory_bound\":%b,\"flop_per_byte\":%.1f,\"pct_of_roofline\":%.2f}",
                op, shape, ofMeasured, ofDatasheet, r.tflops(), r.memoryBound(), r.intensity(), ofRoofline));
    }

    /**
     * The bf16 tensor-core ceiling as measured: the peak probe (peak_probe.cuh) at 1-3 warpgroups a block, two blocks
     * per SM's worth of launches; the fastest configuration wins. Without the sm_90a build it stays unmeasured (NaN),
     * and the bf16 rows say so.
     */
    private void peakBf16() {
        if (!ops.wgmmaAvailable()) {
            out.println("bf16 tensor-core peak: not measured (no sm_90a build loaded: no wgmma); bf16 rows are put against the H100 "
                    + "datasheet figure only, without a roofline");
            return;
        }
        int blocks = 2 * ctx.smCount(), iters = 2048;
        double best = 0;
        int bestWgs = 0;
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer wrong = s.floats((long) blocks * 3 * 128);
            for (int wgs = 1; wgs <= 3; wgs++) {
                final int w = wgs;
                double ms = median(() -> ops.bf16PeakProbe(wrong, blocks, w, iters));
                float[] bad = wrong.download(new float[blocks * wgs * 128]);
                double off = 0;
                for (float x : bad) off += x;
                if (off != 0) throw new IllegalStateException("bf16 peak probe: " + (long) off + " accumulators off the exact sum at "
                        + wgs + " warpgroups a block: its products are not the FLOPs credited");
                double tflops = CudaOps.bf16PeakProbeFlops(blocks, wgs, iters) / (ms * 1e9);
                out.printf(Locale.ROOT, "bf16 peak probe, %d warpgroup(s) a block, %d blocks: %.1f TFLOP/s (%.3f ms)%n", wgs, blocks,
                        tflops, ms);
                if (tflops > best) { best = tflops; bestWgs = wgs; }
            }
        }
        peakBf16Tflops = best;
        out.printf(Locale.ROOT, "measured bf16 tensor-core peak: %.0f TFLOP/s (wgmma m64n256k16 from shared memory, %d warpgroup(s) a "
                + "block; %.1f%% of the datasheet's %.0f)%n", best, bestWgs, 100 * best / BF16_DENSE_PEAK_TFLOPS, BF16_DENSE_PEAK_TFLOPS);
        json.add(String.format(Locale.ROOT, "{\"op\":\"bf16_peak\",\"device\":\"%s\",\"tflop_s\":%.1f,\"warpgroups\":%d,"
                + "\"datasheet_tflop_s\":%.0f}", ctx.deviceName(), best, bestWgs, BF16_DENSE_PEAK_TFLOPS));
    }

    private void gemm(int m, int k, int no, boolean bf16) {
        String shape = String.format("M%d K%d N%d", m, k, no);
        ops.releaseScratch();
        ctx.resetPeak();
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer x = s.floats((long) m * k), w = s.floats((long) no * k), b = s.floats(no), y = s.floats((long) m * no);
            ops.fillUniform(x, (long) m * k, 41, -1, 1);
            ops.fillUniform(w, (long) no * k, 42, -1, 1);
            ops.fillUniform(b, no, 43, -1, 1);
            if (!bf16) {
                CudaOps.Fp32Gemm[] kernels = k % 4 != 0 ? new CudaOps.Fp32Gemm[] {CudaOps.Fp32Gemm.SIMT}
                        : ops.wgmmaAvailable() ? new CudaOps.Fp32Gemm[] {CudaOps.Fp32Gemm.SIMT, CudaOps.Fp32Gemm.TF32X3, CudaOps.Fp32Gemm.WGMMA}
                        : new CudaOps.Fp32Gemm[] {CudaOps.Fp32Gemm.SIMT, CudaOps.Fp32Gemm.TF32X3};
                for (CudaOps.Fp32Gemm kernel : kernels) {
                    under(ops::setFp32Gemm, kernel, () -> report("linear_fp32_" + kernel.name().toLowerCase(Locale.ROOT), shape, m,
                            median(() -> ops.gemm(x, w, b, y, m, no, k)), 4.0 * ((long) m * k + (long) no * k + (long) m * no),
                            2.0 * m * k * no));
                }
                return;
            }
            DeviceBuffer wb = s.alloc(2L * no * k);
            ops.toBf16(w, wb, (long) no * k); // once, as on weight upload: not timed
            double flops = 2.0 * m * k * no;
            for (CudaOps.Bf16Gemm kernel : CudaOps.Bf16Gemm.values()) {
                // AUTO is one of the others; MMA and WGMMA need K % 8 == 0, WGMMA the sm_90a build
                if (kernel == CudaOps.Bf16Gemm.AUTO || (kernel != CudaOps.Bf16Gemm.WMMA && k % 8 != 0)
                        || (kernel == CudaOps.Bf16Gemm.WGMMA && !ops.wgmmaAvailable())) continue;
                under(ops::setBf16Gemm, kernel, () -> {
                    double ms = median(() -> ops.gemmBf16(x, wb, b, y, m, no, k));
                    String op = "linear_bf16_" + kernel.name().toLowerCase(Locale.ROOT);
                    double bytes = 4.0 * m * k + 2.0 * no * k + 4.0 * m * no;
                    report(op, "bf16", shape, m, ms, bytes, flops);
                    printBf16Peak(op, shape, flops, bytes, ms);
                });
            }
        }
    }
}
