package io.scanline.operators;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.protocol.AssemblyResult;
import io.scanline.connectors.protocol.ImageMessage;
import io.scanline.connectors.protocol.ImageMessageDeserializer;
import io.scanline.connectors.protocol.ImageReference;
import io.scanline.connectors.protocol.InlineAssembler;
import io.scanline.connectors.protocol.MalformedMessage;
import io.scanline.connectors.uri.ClaimCheckResolver;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The images topic's protocol v1 in, chunk records out: a reference (claim check) is resolved through
 * {@link ClaimCheckResolver}, restricted to the configured root directories, and verified (sha256,
 * size); inline tile records are reassembled by {@link InlineAssembler} into a spool file, chunked,
 * then deleted. Every malformed message or ingest rejection goes to {@link PatchifyFunction#DEAD_LETTERS}
 * with its reason code; none stops the job.
 *
 * <p>The assembler's partial files are task-local, not checkpointed: after a restore that rewinds into
 * the middle of an inline image, its remaining tiles are rejected (SEQUENCE_ERROR) unless the producer
 * resends the image; references are unaffected.
 */
public class ImageMessageFunction extends ProcessFunction<RawMessage, ChunkRecord> {
    private static final long serialVersionUID = 1L;
    private final ImageChunker chunker;
    private final List<String> roots;
    private final String spoolDir;
    private final long maxInlineBytes;
    private transient ClaimCheckResolver resolver;
    private transient InlineAssembler assembler;

    public ImageMessageFunction(ImageChunker chunker, List<String> roots, String spoolDir, long maxInlineBytes) {
        if (roots.isEmpty()) throw new IllegalArgumentException("claim checks need at least one --root directory");
        this.chunker = chunker;
        this.roots = List.copyOf(roots);
        this.spoolDir = spoolDir;
        this.maxInlineBytes = maxInlineBytes;
    }

    @Override
    public void open(OpenContext ctx) throws Exception {
        resolver = new ClaimCheckResolver(roots.stream().map(Path::of).toList(), Map.of());
        int sub = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        assembler = new InlineAssembler(Path.of(spoolDir, "subtask-" + sub), maxInlineBytes, 64);
    }

    @Override
    public void close() throws Exception {
        if (assembler != null) assembler.close();
    }

    @Override
    public void processElement(RawMessage raw, Context ctx, Collector<ChunkRecord> out) throws Exception {
        ImageMessage m = ImageMessageDeserializer.decode(raw.key, raw.value);
        String id = m.imageId() != null ? m.imageId() : raw.key == null ? "?" : new String(raw.key, StandardCharsets.UTF_8);
        if (m instanceof MalformedMessage bad) {
            reject(ctx, id, bad.error());
        } else if (m instanceof ImageReference ref) {
            try {
                chunker.chunk(ref, resolver.resolveAndVerify(ref), out::collect);
            } catch (IngestException e) {
                reject(ctx, id, e);
            } catch (ImageChunker.Rejected e) {
                ctx.output(PatchifyFunction.DEAD_LETTERS, ScanEvent.deadLetter(id, -1, e.reasonCode(), e.getMessage()));
            }
        } else {
            AssemblyResult r = assembler.accept(m);
            if (r instanceof AssemblyResult.Rejected rej) reject(ctx, id, rej.error());
            if (r instanceof AssemblyResult.Completed done) {
                try {
                    chunker.chunk(id, done.file(), 0, null, out::collect);
                } catch (ImageChunker.Rejected e) {
                    ctx.output(PatchifyFunction.DEAD_LETTERS, ScanEvent.deadLetter(id, -1, e.reasonCode(), e.getMessage()));
                } finally {
                    Files.deleteIfExists(done.file());
                }
            }
        }
    }

    private static void reject(Context ctx, String id, IngestException e) {
        ctx.output(PatchifyFunction.DEAD_LETTERS, ScanEvent.deadLetter(id, -1, e.reason().name(), e.oneLine()));
    }
}
