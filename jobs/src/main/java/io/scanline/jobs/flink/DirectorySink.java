package io.scanline.jobs.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * <p>Glossary: Hp × Wp patch grid of an image.
 */
public final class DirectorySink implements Sink<ScanEvent> {
    private static final long serialVersionUID = 1L;
    private final String dir;
    private final boolean progress;

    public DirectorySink(Path dir, boolean progress) {
        this.dir = dir.toString();
        this.progress = progress;
    }

    @Override
    public SinkWriter<ScanEvent> createWriter(WriterInitContext context) throws IOException {
        Files.createDirectories(Path.of(dir));
        return new Writer(Path.of(dir), progress ? System.out : null);
    }

    private static final class Writer implements SinkWriter<ScanEvent> {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final Path dir;
        private final PrintStream log;
        private final Map<String, int[]> classMaps = new HashMap<>();

        Writer(Path dir, PrintStream log) {
            this.dir = dir;
            this.log = log;
        }

        @Override
        public void write(ScanEvent e, Context ctx) throws IOException {
            switch (e.kind) {
                case PATCHES -> {
                    int[] map = classMaps.computeIfAbsent(e.imageId, k -> new int[(int) e.totalTokens]);
                    System.arraycopy(e.patchClasses, 0, map, (int) e.firstToken, e.patchClasses.length);
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
                    Path f = dir.resolve(safe(e.imageId) + ".json");
                    Files.writeString(f, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
                    if (log != null) log.printf("  %s: done, class %d -> %s%n", e.imageId, e.classIndex, f);
                }
                case DEAD_LETTER -> {
                    Files.writeString(dir.resolve("dead-letters.jsonl"), EventJson.of(e) + "\n", StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    if (log != null) log.printf("  %s: REJECTED: %s%n", e.imageId, e.reason);
                }
            }
        }

        private static String safe(String id) {
            return id.replaceAll("[^A-Za-z0-9._#-]", "_");
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
    }
}
