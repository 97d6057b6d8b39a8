package io.scanline.jobs.flink;

import io.scanline.operators.ImageChunker;
import io.scanline.operators.PatchifyFunction;
import io.scanline.operators.RecurrentScanOperator;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Local mode: the streaming job graph on an embedded mini cluster over a file or a directory of
 * images, writing outputs to a directory ({@link DirectorySink}); a model with dense heads also gets
 * its mask, detections and overlay per image.
 */
public final class LocalRun {
    private LocalRun() {}

    /** What one run did; engine time is inside the scan engine's bundle calls (backend plus stacking). */
    public record Summary(long results, long deadLetters, long tokens, long inputPixels, double wallSeconds,
                          double jobSeconds, double engineSeconds, double scanOperatorSeconds, double patchifySeconds) {
        /** Over the job's own run time (mini cluster start-up excluded). */
        public double megapixelsPerSecond() {
            return inputPixels / 1e6 / jobSeconds;
        }

        /** Share of the job's run time spent outside the engine's bundle calls (reading, patchify, Flink, sinks). */
        public double shareOutsideEngine() {
            return jobSeconds <= 0 ? 0 : Math.max(0, 1 - engineSeconds / jobSeconds);
        }
    }

    /** Image files of a path: the file itself, or the regular files of a directory (not recursive), sorted. */
    public static List<String> inputs(Path input) throws IOException {
        if (Files.isRegularFile(input)) return List.of(input.toString());
        if (!Files.isDirectory(input)) throw new IOException("input " + input + " is neither a file nor a directory");
        try (Stream<Path> s = Files.list(input)) {
            List<String> files = s.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
            if (files.isEmpty()) throw new IOException("input directory " + input + " holds no files");
            return files;
        }
    }

    public static Summary run(JobSettings settings, Path input, Path out, boolean batch, boolean progress) throws Exception {
        List<String> files = inputs(input);
        Configuration conf = new Configuration();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(settings.parallelism(), conf);
        env.setRuntimeMode(batch ? RuntimeExecutionMode.BATCH : RuntimeExecutionMode.STREAMING);
        DirectorySink sink = new DirectorySink(out, progress);
        ScanJobGraph graph = new ScanJobGraph(e -> e.fromData(files).name("image-files"), sink, sink, settings);
        if (hasDenseHeads(Path.of(settings.modelDir()))) {
            if (settings.tilePatches() > 0) throw new IllegalArgumentException("dense heads need the whole-image scan, not per-tile mode");
            Map<String, String> paths = new HashMap<>();
            for (String f : files) paths.put(ImageChunker.idOf(f), f);
            sink.withDense(Path.of(settings.modelDir()), paths);
            graph.withFeatures();
        }
        graph.addTo(env);
        long pixels = 0;
        for (String f : files) pixels += pixelsOf(f);
        long t0 = System.nanoTime();
        JobExecutionResult r = env.execute("scanline-local");
        double wall = (System.nanoTime() - t0) / 1e9;
        return new Summary(acc(r, RecurrentScanOperator.ACC_RESULTS),
                acc(r, RecurrentScanOperator.ACC_DEAD_LETTERS) + acc(r, PatchifyFunction.ACC_REJECTED),
                acc(r, RecurrentScanOperator.ACC_TOKENS), pixels, wall, r.getNetRuntime() / 1e3, acc(r, RecurrentScanOperator.ACC_ENGINE_NANOS) / 1e9,
                acc(r, RecurrentScanOperator.ACC_OPERATOR_NANOS) / 1e9, acc(r, PatchifyFunction.ACC_PATCHIFY_NANOS) / 1e9);
    }

    /** A model folder whose config has a {@code dense_heads} section gets dense outputs (mask, detections, overlay). */
    public static boolean hasDenseHeads(Path modelDir) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(modelDir.resolve("config.json").toFile()).has("dense_heads");
    }

    private static long acc(JobExecutionResult r, String name) {
        Object v = r.getAccumulatorResult(name);
        return v instanceof Number n ? n.longValue() : 0L;
    }

    /** Width × height from the header only (0 for unreadable files: they are dead-lettered by the job). */
    private static long pixelsOf(String f) {
        try (var in = javax.imageio.ImageIO.createImageInputStream(new java.io.File(f))) {
            var it = in == null ? null : javax.imageio.ImageIO.getImageReaders(in);
            if (it == null || !it.hasNext()) return 0;
            var rd = it.next();
            try {
                rd.setInput(in);
                return (long) rd.getWidth(0) * rd.getHeight(0);
            } finally {
                rd.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
