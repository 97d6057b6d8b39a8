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
 * (about 1.5 s of them, at least one); the median is reported. A benchmark, not a test.
 *
 * <p>Besides wall time it reports the calling thread's CPU time: a single-threaded backend (the
 * reference) then gets a rate that does not depend on how busy the machine is.
 */
public final class ModelBench {
    private ModelBench() {}

    /** Device memory of a GPU backend: reset the high-water mark, read it. */
    public interface DeviceMemory {
        void resetPeak();

        long peakBytes();
    }

    public record Result(String family, int size, long tokens, int passes, int barriers, double seconds,
                         double cpuSeconds, long stateBytes, long storeBytes, long peakOpBytes, long peakDeviceBytes) {
        public double tokensPerSecond() { return tokens / seconds; }

        public double tokensPerCpuSecond() { return tokens / cpuSeconds; }
    }

    public static List<Result> run(Backend be, int[] sizes, int chunk, int repeats, Set<String> only, PrintStream out) {
        return run(be, sizes, chunk, repeats, only, Map.of(), null, out);
    }

    /**
     * @param overrides top-level config keys set on every family's bench config (numbers as numbers),
     *                  e.g. {@code embed_dim=768} for larger dims than the golden cases'
     * @param mem       the backend's device memory, or null (host backends): its peak per size is reported
     */
    public static List<Result> run(Backend be, int[] sizes, int chunk, int repeats, Set<String> only,
                                   Map<String, String> overrides, DeviceMemory mem, PrintStream out) {
        return run(be, sizes, chunk, repeats, only, overrides, mem, null, out);
    }

    /**
     * @param profile when not null, one extra run per size through {@link OpProfile#wrap} whose per-op
     *                table is printed under the size's line (not part of the timed figures)
     */
    public static List<Result> run(Backend be, int[] sizes, int chunk, int repeats, Set<String> only,
                                   Map<String, String> overrides, DeviceMemory mem, OpProfile profile, PrintStream out) {
        List<Result> results = new ArrayList<>();
        out.printf(Locale.ROOT, "backend %s, chunk %d tokens, median of %d run(s), batch 1, synthetic image, random weights%n",
                be.name(), chunk, repeats);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!overrides.isEmpty()) out.println("config overrides: " + overrides);
        out.printf(Locale.ROOT, "%-14s %-10s %8s %7s %9s %9s %10s %9s %13s %10s %10s %10s %12s%n", "family", "image", "tokens", "passes",
                "barriers", "seconds", "tokens/s", "cpu s", "tokens/cpu-s", "state B", "store B", "peak op B", "peak dev B");
        for (Map.Entry<String, ModelFamily> e : ModelFamilies.all().entrySet()) {
            if (!(e.getValue() instanceof RandomModels rm) || (only != null && !only.isEmpty() && !only.contains(e.getKey()))) continue;
            JsonNode cfg = withOverrides(rm.benchConfig(), overrides);
            StreamingModel model = e.getValue().build(cfg, rm.randomWeights(cfg, 1));
            StreamOptions o = StreamOptions.defaults().withChunk(chunk).withTokenSink((key, first, rows) -> { });
            warmUp(model, be, sizes[0], o);
            for (int size : sizes) {
                double[] times = new double[Math.max(1, repeats)], cpu = new double[times.length];
                ModelOutput last = null;
                if (mem != null) mem.resetPeak();
                for (int i = 0; i < times.length; i++) {
                    long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                    last = model.forward(be, new SyntheticImage(1, size, size, 2 + i), o);
                    times[i] = (System.nanoTime() - t0) / 1e9;
                    cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
                }
                java.util.Arrays.sort(times);
                java.util.Arrays.sort(cpu);
                int ps = cfg.path("patch_size").asInt(16), st = cfg.path("stride").asInt(ps);
                int grid = (size - ps) / st + 1;
                Plan plan = model.plan(grid, grid);
                long tokens = (long) grid * grid + (cfg.path("family").asText().startsWith("vil") ? 0 : 1);
                Result r = new Result(e.getKey(), size, tokens, plan.passes().size(), plan.barriers(), times[times.length / 2], cpu[cpu.length / 2],
                        last.memory().peakStateBytes(), last.memory().peakStoreMemoryBytes() + last.memory().peakStoreDiskBytes(),
                        last.memory().peakOpBytes(), mem == null ? -1 : mem.peakBytes());
                results.add(r);
                out.printf(Locale.ROOT, "%-14s %-10s %8d %7d %9d %9.2f %10.0f %9.2f %13.0f %10d %10d %10d %12d%n", r.family(), size + "x" + size,
                        r.tokens(), r.passes(), r.barriers(), r.seconds(), r.tokensPerSecond(), r.cpuSeconds(), r.tokensPerCpuSecond(),
                        r.stateBytes(), r.storeBytes(), r.peakOpBytes(), r.peakDeviceBytes());
                if (profile != null) {
                    profile.reset();
                    Backend wrapped = profile.wrap(be);
                    long t0 = System.nanoTime();
                    model.forward(wrapped, new SyntheticImage(1, size, size, 99), o);
                    long wall = System.nanoTime() - t0;
                    out.printf(Locale.ROOT, "  op profile of one more run (%.2f s with a sync after every op):%n", wall / 1e9);
                    profile.print(out, wall);
                }
            }
        }
        return results;
    }

    /**
     * Untimed warm-up runs on the first size: at least one, then more until {@link #WARMUP_NANOS} have
     * passed (at most {@link #WARMUP_MAX_RUNS}), so a long first size costs one run and a short one
     * gets the JIT through its compilations: after a single 224² run djl's figures were still half
     * their steady value.
     */
    static final int WARMUP_MIN_RUNS = 1, WARMUP_MAX_RUNS = 30;
    static final long WARMUP_NANOS = 1_500_000_000L;

    private static void warmUp(StreamingModel model, Backend be, int size, StreamOptions o) {
        long t0 = System.nanoTime();
        for (int i = 0; i < WARMUP_MAX_RUNS; i++) {
            if (i >= WARMUP_MIN_RUNS && System.nanoTime() - t0 >= WARMUP_NANOS) break;
            model.forward(be, new SyntheticImage(1, size, size, 1), o);
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
