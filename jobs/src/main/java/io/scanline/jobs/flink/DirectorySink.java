package io.scanline.jobs.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.connectors.results.ResultRecord;
import io.scanline.jobs.dense.DenseImageWriter;
import io.scanline.kernels.heads.DenseHeads;
import io.scanline.kernels.heads.DenseModel;
import io.scanline.operators.ScanEvent;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Local-mode sink: assembles each image's per-patch classes and writes, at
 * its RESULT, {@code <id>.json} (logits, class, grid and the patch class map as rows); dead letters
 * are appended to {@code dead-letters.jsonl}. Prints per-image progress. Writes are not transactional:
 * local mode is for files and demos; exactly-once output is the Kafka sink's job. Any parallelism works:
 * an image's events all come from one scan subtask, forwarded to the same sink subtask.
 *
 * <p>With a dense model ({@link #withDense}), PATCHES events carry final token features and the sink runs
 * the model's dense heads on them chunk by chunk ({@link DenseImageWriter}): mask TIFF/PNG, COCO JSON,
 * GeoJSON, overlay PNG and result records per image, named by the file name up to its first dot, as
 * {@code segment} names them. The per-image head state lives in the writer, not in Flink state: a
 * restart re-runs the image from its source (local mode has no checkpoints).
 *
 * <p>Glossary: Hp × Wp patch grid of an image.
 */
public final class DirectorySink implements Sink<ScanEvent> {
    private static final long serialVersionUID = 1L;
    private final String dir;
    private final boolean progress;
    private String denseModel;
    private Map<String, String> imagePaths = Map.of();

    public DirectorySink(Path dir, boolean progress) {
        this.dir = dir.toString();
        this.progress = progress;
    }

    /** Dense outputs with the heads of {@code modelDir}; {@code imagePaths} maps image id to its file (header, overlay). */
    public DirectorySink withDense(Path modelDir, Map<String, String> imagePaths) {
        this.denseModel = modelDir.toAbsolutePath().toString();
        this.imagePaths = new HashMap<>(imagePaths);
        return this;
    }

    @Override
    public SinkWriter<ScanEvent> createWriter(WriterInitContext context) throws IOException {
        Files.createDirectories(Path.of(dir));
        DenseHeads heads = denseModel == null ? null : DenseModel.load(Path.of(denseModel)).heads();
        return new Writer(Path.of(dir), progress ? System.out : null, heads, imagePaths);
    }

    private static final class Writer implements SinkWriter<ScanEvent> {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final Path dir;
        private final PrintStream log;
        private final DenseHeads heads;
        private final Map<String, String> paths;
        private final Map<String, int[]> classMaps = new HashMap<>();
        private final Map<String, DenseImageWriter> dense = new HashMap<>();

        Writer(Path dir, PrintStream log, DenseHeads heads, Map<String, String> paths) {
            this.dir = dir;
            this.log = log;
            this.heads = heads;
            this.paths = paths;
        }

        @Override
        public void write(ScanEvent e, Context ctx) throws IOException {
            switch (e.kind) {
                case PATCHES -> {
                    int[] map = classMaps.computeIfAbsent(e.imageId, k -> new int[(int) e.totalTokens]);
                    System.arraycopy(e.patchClasses, 0, map, (int) e.firstToken, e.patchClasses.length);
                    if (heads != null) denseOf(e.imageId).accept(e.firstToken, e.features, e.tokens);
                    if (log != null) {
                        long done = e.firstToken + e.tokens;
                        log.printf("  %s: %d/%d patch tokens (%.0f%%)%n", e.imageId, done, e.totalTokens, 100.0 * done / e.totalTokens);
                    }
                }
                case RESULT -> {
                    ObjectNode o = EventJson.tree(e);
                    int[] map = classMaps.remove(e.imageId);
                    if (map != null) {
                        var rows = o.putArray("patch_classes");
                        for (int r = 0; r < e.gridH; r++) {
                            var row = rows.addArray();
                            for (int c = 0; c < e.gridW; c++) row.add(map[r * e.gridW + c]);
                        }
                    }
                    DenseImageWriter dw = dense.remove(e.imageId);
                    if (dw != null) {
                        DenseImageWriter.Written w = dw.finish();
                        ObjectNode d = o.putObject("dense").put("detections", w.detections()).put("mask_foreground_fraction", w.maskForeground());
                        var files = d.putArray("files");
                        for (Path f : w.files()) files.add(f.getFileName().toString());
                        if (log != null) {
                            log.printf("  %s: %d detections, mask foreground %.2f%% -> %s%n", e.imageId, w.detections(),
                                    100 * w.maskForeground(), String.join(", ", w.files().stream().map(p -> p.getFileName().toString()).toList()));
                        }
                    }
                    Path f = dir.resolve(safe(e.imageId) + ".json");
                    Files.writeString(f, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
                    if (log != null) log.printf("  %s: done, class %d -> %s%n", e.imageId, e.classIndex, f);
                }
                case DEAD_LETTER -> {
                    DenseImageWriter dw = dense.remove(e.imageId);
                    if (dw != null) dw.close();
                    Files.writeString(dir.resolve("dead-letters.jsonl"), EventJson.of(e) + "\n", StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    if (log != null) log.printf("  %s: REJECTED: %s%n", e.imageId, e.reason);
                }
            }
        }

        private DenseImageWriter denseOf(String id) throws IOException {
            DenseImageWriter w = dense.get(id);
            if (w == null) {
                String path = paths.get(id);
                if (path == null) throw new IOException("dense outputs: no input file known for image " + id);
                w = new DenseImageWriter(heads, Path.of(path), safe(stem(id)), dir, 2048, ResultRecord.DEFAULT_INLINE_LIMIT);
                dense.put(id, w);
            }
            return w;
        }

        /** File name up to its first dot, as {@code segment} names its outputs. */
        private static String stem(String id) {
            int dot = id.indexOf('.');
            return dot > 0 ? id.substring(0, dot) : id;
        }

        private static String safe(String id) {
            return id.replaceAll("[^A-Za-z0-9._#-]", "_");
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() throws IOException {
            for (DenseImageWriter w : dense.values()) w.close();
            dense.clear();
        }
    }
}
