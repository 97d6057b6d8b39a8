package io.scanline.kernels.bench;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.tensor.Tensor;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * Tokens/s of the four recurrent ops at a few vision sizes. Each case runs until {@code seconds}
 * have passed (at least twice after one warm-up call) and reports the median rate.
 */
public final class OpBench {
    private OpBench() {}

    /** One measured case: median time of one call and the token rate it gives. */
    public record Result(String op, String shape, double tokensPerSecond, double ms, double tokensPerCpuSecond) {}

    /** The default sizes: 1024 and 4096 tokens (4096 = the patch tokens of a 1024x1024 image). */
    public static java.util.List<Result> run(Backend be, double seconds, boolean json, PrintStream out) {
        return run(be, seconds, json, out, new int[] {1024, 4096});
    }

    /**
     * Same cases at the given sequence lengths (e.g. 197 and 4096: the tokens of a 224x224 and a
     * 1024x1024 image at patch 16, with a class token for the former).
     */
    public static java.util.List<Result> run(Backend be, double seconds, boolean json, PrintStream out, int[] lengths) {
        java.util.List<Result> results = new java.util.ArrayList<>();
        RandomTensors r = new RandomTensors(7);
        out.printf(Locale.ROOT, "%-16s %-30s %14s %10s %14s%n", "op", "shape", "tokens/s", "ms/call", "tokens/cpu-s");
        for (int e : new int[] {384, 768}) {
            for (int l : lengths) {
                int n = 16, b = 1;
                Tensor u = r.normal(0, 1, b, l, e), dl = r.normal(0, 1, b, l, e), z = r.normal(0, 1, b, l, e);
                Tensor a = r.uniform(-2, -0.1, e, n), bm = r.normal(0, 1, b, l, n), cm = r.normal(0, 1, b, l, n);
                Tensor d = r.normal(0, 1, e), db = r.normal(0, 1, e), h = Tensor.zeros(b, e, n);
                report(results, out, json, "selective_scan", "B1 E" + e + " N16 L" + l, l * b, seconds,
                        () -> be.selectiveScan(u, dl, a, bm, cm, d, z, db, true, h).numel());
                Tensor w = r.normal(0, 0.5, e, 4), bias = r.normal(0, 1, e), tail = Tensor.zeros(b, 3, e);
                report(results, out, json, "causal_conv1d", "B1 C" + e + " K4 L" + l, l * b, seconds,
                        () -> be.causalConv1d(u, w, bias, tail, true).numel());
            }
        }
        for (int l : lengths) {
            int hh = 8, p = 64, n = 64, b = 1;
            Tensor x = r.normal(0, 1, b, l, hh, p), dt = r.normal(-1, 1, b, l, hh), a = r.uniform(-2, -0.5, hh);
            Tensor bm = r.normal(0, 1, b, l, 1, n), cm = r.normal(0, 1, b, l, 1, n), d = r.normal(0, 1, hh), s = Tensor.zeros(b, hh, p, n);
            for (SsdForm f : SsdForm.values()) {
                report(results, out, json, "ssd_" + f.name().toLowerCase(Locale.ROOT), "B1 H8 P64 N64 L" + l, l * b, seconds,
                        () -> be.ssd(f, 256, x, dt, a, bm, cm, d, null, true, s).numel());
            }
        }
        for (int l : lengths) {
            int nh = 4, dh = 96, b = 1;
            Tensor q = r.normal(0, 1, b, l, nh, dh), k = r.normal(0, 1, b, l, nh, dh), v = r.normal(0, 1, b, l, nh, dh);
            Tensor ig = r.normal(0, 1, b, l, nh), fg = r.normal(3, 1, b, l, nh);
            for (MlstmForm f : new MlstmForm[] {MlstmForm.RECURRENT, MlstmForm.CHUNKWISE}) {
                Tensor c = Tensor.zeros(b, nh, dh, dh), n = Tensor.zeros(b, nh, dh), m = Tensor.full(Float.NEGATIVE_INFINITY, b, nh);
                report(results, out, json, "mlstm_" + f.name().toLowerCase(Locale.ROOT), "B1 NH4 DH96 L" + l, l * b, seconds,
                        () -> be.mlstm(f, 64, q, k, v, ig, fg, c, n, m, 1e-6).numel());
            }
        }
        return results;
    }

    private static void report(java.util.List<Result> results, PrintStream out, boolean json, String op, String shape, long tokens, double seconds,
                               IntSupplier call) {
        call.getAsInt(); // warm-up
        java.util.List<Double> times = new java.util.ArrayList<>(), cpu = new java.util.ArrayList<>();
        // CPU time of the calling thread as well: on a shared machine wall time mostly measures the
        // neighbours; it covers all the work for single-threaded backends (djl runs 1 intra-op thread
        // by default, inline on the caller).
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        while (times.size() < 2 || (System.nanoTime() - start) / 1e9 < seconds) {
            long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
            call.getAsInt();
            cpu.add((mx.getCurrentThreadCpuTime() - c0) / 1e9);
            times.add((System.nanoTime() - t0) / 1e9);
        }
        times.sort(null);
        cpu.sort(null);
        double med = times.get(times.size() / 2), medCpu = cpu.get(cpu.size() / 2);
        out.printf(Locale.ROOT, "%-16s %-30s %14.0f %10.2f %14.0f%n", op, shape, tokens / med, med * 1e3, tokens / medCpu);
        results.add(new Result(op, shape, tokens / med, med * 1e3, tokens / medCpu));
        if (json) {
            out.printf(Locale.ROOT, "{\"op\":\"%s\",\"shape\":\"%s\",\"tokens_per_s\":%.1f,\"ms\":%.3f}%n", op, shape, tokens / med, med * 1e3);
        }
    }
}
