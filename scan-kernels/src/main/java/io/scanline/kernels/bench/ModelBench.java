package io.scanline.kernels.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ModelFamilies;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.RandomModels;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Tokens/s of whole streamed forwards, per model family that offers {@link RandomModels}, at a few
 * square image sizes: random weights at the family's bench config (the golden cases' dims), a
 * synthetic image, per-token outputs discarded through a token sink (as a service streaming features
 * out would). Each size runs {@code repeats} times after untimed warm-up runs on the first size
 * (about 4 s of them, at least one); the median is reported. A benchmark, not a test.
 *
 * <p>Besides wall time it reports the calling thread's CPU time: a single-threaded backend (the
 * reference) then gets a rate that does not depend on how busy the machine is.
 *
 * <p>Glossary of the A/B form ({@link #compare}): backend = the one measured, baseline = the one it is
 * compared with, pair = one run of each on the same image, back to back; speed-up = baseline wall time
 * / backend wall time.
 */
public final class ModelBench {
    private ModelBench() {}

    /** Device memory of a GPU backend: reset the high-water mark, read it. */
    public interface DeviceMemory {
        void resetPeak();

        long peakBytes();
    }

    /**
     * @param flops        operations of one forward, counted from its op calls ({@link OpFlops}); -1 when not counted
     * @param inputSeconds wall time spent reading the (synthetic) image, median over the timed runs: the
     *                     benchmark's input, included in {@code seconds}
     */
    public record Result(String family, int size, int batch, long tokens, int passes, int barriers, double seconds,
                         double cpuSeconds, double inputSeconds, long stateBytes, long storeBytes, long peakOpBytes, long peakDeviceBytes, long flops) {
        public double tokensPerSecond() { return tokens / seconds; }

        public double tokensPerCpuSecond() { return tokens / cpuSeconds; }

        /** Achieved TFLOP/s of the median run (−1 when the operations were not counted). */
        public double teraflops() { return flops < 0 ? -1 : flops / seconds / 1e12; }

        /** One JSON object (no nesting) with every field and the derived rates. */
        public String json(String backend) {
            return String.format(Locale.ROOT, "{\"backend\":\"%s\",\"family\":\"%s\",\"image\":%d,\"batch\":%d,\"tokens\":%d,\"passes\":%d,"
                    + "\"barriers\":%d,\"seconds\":%.4f,\"tokens_per_s\":%.1f,\"cpu_seconds\":%.4f,\"input_seconds\":%.4f,\"gflop\":%.3f,"
                    + "\"tflop_per_s\":%.4f,\"state_bytes\":%d,\"store_bytes\":%d,\"peak_op_bytes\":%d,\"peak_device_bytes\":%d}",
                    backend, family, size, batch, tokens, passes, barriers, seconds, tokensPerSecond(), cpuSeconds, inputSeconds,
                    flops < 0 ? -1.0 : flops / 1e9, teraflops(), stateBytes, storeBytes, peakOpBytes, peakDeviceBytes);
        }
    }

    /** One image per forward, the bench configs as they are, no device memory or op profile. */
    public static List<Result> run(Backend be, int[] sizes, int chunk, int repeats, Set<String> only, PrintStream out) {
        return run(be, sizes, chunk, repeats, 1, only, Map.of(), null, null, out);
    }

    /**
     * @param batch     images per forward (B): every op call serves all of them, and tokens/s counts the
     *                  tokens of all B images
     * @param overrides top-level config keys set on every family's bench config (numbers as numbers),
     *                  e.g. {@code embed_dim=768} for larger dims than the golden cases'
     * @param mem       the backend's device memory, or null (host backends): its peak per size is reported
     * @param profile   when not null, one extra run per size through {@link OpProfile#wrap} whose per-op
     *                  table is printed under the size's line (not part of the timed figures)
     */
    public static List<Result> run(Backend be, int[] sizes, int chunk, int repeats, int batch, Set<String> only,
                                   Map<String, String> overrides, DeviceMemory mem, OpProfile profile, PrintStream out) {
        List<Result> results = new ArrayList<>();
        out.printf(Locale.ROOT, "backend %s, chunk %d tokens, median of %d run(s), batch %d, synthetic image, random weights%n",
                be.name(), chunk, repeats, batch);
        if (!overrides.isEmpty()) out.println("config overrides: " + overrides);
        out.printf(Locale.ROOT, "%-14s %-10s %8s %7s %9s %9s %10s %9s %13s %8s %10s %8s %10s %10s %10s %12s%n", "family", "image", "tokens",
                "passes", "barriers", "seconds", "tokens/s", "cpu s", "tokens/cpu-s", "input s", "GFLOP", "TFLOP/s", "state B", "store B",
                "peak op B", "peak dev B");
        measure(new Backend[] {be}, sizes, chunk, repeats, batch, only, overrides, mem, (c, rs, pairRatios) -> {
            Result r = rs[0];
            results.add(r);
            out.printf(Locale.ROOT, "%-14s %-10s %8d %7d %9d %9.2f %10.0f %9.2f %13.0f %8.2f %10.2f %8.3f %10d %10d %10d %12d%n", r.family(),
                    r.size() + "x" + r.size(), r.tokens(), r.passes(), r.barriers(), r.seconds(), r.tokensPerSecond(), r.cpuSeconds(),
                    r.tokensPerCpuSecond(), r.inputSeconds(), r.flops() / 1e9, r.teraflops(), r.stateBytes(), r.storeBytes(), r.peakOpBytes(),
                    r.peakDeviceBytes());
            if (profile != null) profileRun(c, be, profile, out);
        });
        return results;
    }

    /**
     * One family and size measured on a backend and its baseline.
     *
     * @param speedup     median baseline wall / median backend wall
     * @param pairSpeedup median over the pairs of baseline wall / backend wall: a pair's two runs are
     *                    adjacent in time, so a slow drift of the machine's load cancels out of it
     */
    public record Comparison(Result backend, Result baseline, double speedup, double pairSpeedup) {}

    /**
     * A/B form: every family and size runs on {@code be} and {@code base} alternately (be, base, be,
     * base, ...), {@code repeats} pairs on the same model, weights and image, after each backend's own
     * warm-up. Two separate processes on a shared machine see loads that differ by tens of percent, so
     * the ratio of their medians is noisy; pairs interleaved in one process see the same load.
     *
     * <p>The model code's calls into the backend then see two backend classes, so a backend's figures
     * here can differ slightly from its single-backend run.
     *
     * @param batch   images per forward, as in {@link #run}
     * @param profile when not null, one extra run per size of {@code be} (not the baseline), as in
     *                {@link #run}
     */
    public static List<Comparison> compare(Backend be, Backend base, int[] sizes, int chunk, int repeats, int batch, Set<String> only,
                                           Map<String, String> overrides, OpProfile profile, PrintStream out) {
        List<Comparison> results = new ArrayList<>();
        String a = be.name(), b = base.name().equals(a) ? base.name() + "(base)" : base.name();
        int wa = Math.max(9, a.length() + 6), wb = Math.max(9, b.length() + 6);
        out.printf(Locale.ROOT, "backend %s vs baseline %s, chunk %d tokens, %d pair(s) run alternately (%s then %s), medians, "
                + "batch %d, synthetic image, random weights%n", a, b, chunk, repeats, a, b, batch);
        out.printf(Locale.ROOT, "speed-up = median %s s / median %s s; per pair = median over pairs of %s s / %s s%n", b, a, b, a);
        if (!overrides.isEmpty()) out.println("config overrides: " + overrides);
        String head = "%-14s %-10s %8s %" + wa + "s %" + (wa + 2) + "s %" + wb + "s %" + (wb + 2) + "s %9s %9s%n";
        String row = "%-14s %-10s %8d %" + wa + ".3f %" + (wa + 2) + ".0f %" + wb + ".3f %" + (wb + 2) + ".0f %8.2fx %8.2fx%n";
        out.printf(Locale.ROOT, head, "family", "image", "tokens", a + " s", a + " tok/s", b + " s", b + " tok/s", "speed-up", "per pair");
        measure(new Backend[] {be, base}, sizes, chunk, repeats, batch, only, overrides, null, (c, rs, pairRatios) -> {
            Comparison cmp = new Comparison(rs[0], rs[1], rs[1].seconds() / rs[0].seconds(), median(pairRatios));
            results.add(cmp);
            out.printf(Locale.ROOT, row, rs[0].family(), rs[0].size() + "x" + rs[0].size(), rs[0].tokens(), rs[0].seconds(),
                    rs[0].tokensPerSecond(), rs[1].seconds(), rs[1].tokensPerSecond(), cmp.speedup(), cmp.pairSpeedup());
            if (profile != null) profileRun(c, be, profile, out);
        });
        return results;
    }

    /** What a measured family and size hands to its printer: the model, for an extra profile run. */
    private record Case(StreamingModel model, StreamOptions options, int size, int batch) {}

    private interface Sink {
        /** @param rs one result per backend; @param pairRatios per repeat, backend 1's wall / backend 0's (empty for one backend) */
        void accept(Case c, Result[] rs, double[] pairRatios);
    }

    /** Times every family and size on the backends, their runs interleaved repeat by repeat. */
    private static void measure(Backend[] bes, int[] sizes, int chunk, int repeats, int batch, Set<String> only,
                                Map<String, String> overrides, DeviceMemory mem, Sink sink) {
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (Map.Entry<String, ModelFamily> e : ModelFamilies.all().entrySet()) {
            if (!(e.getValue() instanceof RandomModels rm) || (only != null && !only.isEmpty() && !only.contains(e.getKey()))) continue;
            JsonNode cfg = withOverrides(rm.benchConfig(), overrides);
            StreamingModel model = e.getValue().build(cfg, rm.randomWeights(cfg, 1));
            StreamOptions o = StreamOptions.defaults().withChunk(chunk).withTokenSink((key, first, rows) -> { });
            for (Backend be : bes) warmUp(model, be, sizes[0], batch, o);
            for (int size : sizes) {
                int n = Math.max(1, repeats);
                double[][] times = new double[bes.length][n], cpu = new double[bes.length][n], input = new double[bes.length][n];
                ModelOutput[] last = new ModelOutput[bes.length];
                if (mem != null) mem.resetPeak();
                // operations counted on the first timed run of the first backend: the counting proxy's
                // cost per op call was within the noise of a direct call (±40 ns, 2M calls of a 2×2
                // linear on the 2-core machine), against tens of microseconds per op on a GPU
                OpFlops counter = new OpFlops();
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < bes.length; k++) {
                        Backend run = i == 0 && k == 0 ? counter.wrap(bes[k]) : bes[k];
                        TimedImageSource img = new TimedImageSource(new SyntheticImage(batch, size, size, 2 + i));
                        long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                        last[k] = model.forward(run, img, o);
                        times[k][i] = (System.nanoTime() - t0) / 1e9;
                        cpu[k][i] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
                        input[k][i] = img.seconds();
                    }
                }
                double[] pairRatios = new double[bes.length > 1 ? n : 0];
                for (int i = 0; i < pairRatios.length; i++) pairRatios[i] = times[1][i] / times[0][i];
                int ps = cfg.path("patch_size").asInt(16), st = cfg.path("stride").asInt(ps);
                int grid = (size - ps) / st + 1;
                Plan plan = model.plan(grid, grid);
                long tokens = batch * ((long) grid * grid + (cfg.path("family").asText().startsWith("vil") ? 0 : 1));
                Result[] rs = new Result[bes.length];
                for (int k = 0; k < bes.length; k++) {
                    ModelOutput l = last[k];
                    rs[k] = new Result(e.getKey(), size, batch, tokens, plan.passes().size(), plan.barriers(), median(times[k]), median(cpu[k]),
                            median(input[k]), l.memory().peakStateBytes(), l.memory().peakStoreMemoryBytes() + l.memory().peakStoreDiskBytes(),
                            l.memory().peakOpBytes(), mem == null ? -1 : mem.peakBytes(), counter.total());
                }
                sink.accept(new Case(model, o, size, batch), rs, pairRatios);
            }
        }
    }

    /** The upper median for an even count, as the figures have always been. */
    static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    private static void profileRun(Case c, Backend be, OpProfile profile, PrintStream out) {
        profile.reset();
        Backend wrapped = profile.wrap(be);
        long t0 = System.nanoTime();
        c.model().forward(wrapped, new SyntheticImage(c.batch(), c.size(), c.size(), 99), c.options());
        long wall = System.nanoTime() - t0;
        out.printf(Locale.ROOT, "  op profile of one more run (%.2f s with a sync after every op):%n", wall / 1e9);
        profile.print(out, wall);
    }

    /**
     * Untimed warm-up runs on the first size: at least one, then more until {@link #WARMUP_NANOS} have
     * passed (at most {@link #WARMUP_MAX_RUNS}), so a long first size costs one run and a short one
     * gets the JIT through its compilations: after a single 224² run djl's figures were still half
     * their steady value, and with 1.5 s (30 runs at most) the first family of a paired run still came
     * out 10-20% below its figure later in the same process (vil1 224² vs the reference: 7.4-9.4x first,
     * 9.7-11.2x after other families; 10.1-10.7x first with 4 s).
     */
    static final int WARMUP_MIN_RUNS = 1, WARMUP_MAX_RUNS = 200;
    static final long WARMUP_NANOS = 4_000_000_000L;

    private static void warmUp(StreamingModel model, Backend be, int size, int batch, StreamOptions o) {
        long t0 = System.nanoTime();
        for (int i = 0; i < WARMUP_MAX_RUNS; i++) {
            if (i >= WARMUP_MIN_RUNS && System.nanoTime() - t0 >= WARMUP_NANOS) break;
            model.forward(be, new SyntheticImage(batch, size, size, 1), o);
        }
    }

    static JsonNode withOverrides(JsonNode cfg, Map<String, String> overrides) {
        if (overrides.isEmpty()) return cfg;
        com.fasterxml.jackson.databind.node.ObjectNode c = ((com.fasterxml.jackson.databind.node.ObjectNode) cfg).deepCopy();
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String v = e.getValue();
            try {
                c.put(e.getKey(), Long.parseLong(v));
            } catch (NumberFormatException notLong) {
                try {
                    c.put(e.getKey(), Double.parseDouble(v));
                } catch (NumberFormatException notNumber) {
                    c.put(e.getKey(), v);
                }
            }
        }
        return c;
    }
}
