package io.scanline.operators;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Thin shell over {@link ImageChunker} (the connectors' readers and patchifier): an image reference (a file path) in, chunk records out;
 * a rejected image goes to {@link #DEAD_LETTERS} with its reason and never stops the job.
 */
public class PatchifyFunction extends ProcessFunction<String, ChunkRecord> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<ScanEvent> DEAD_LETTERS = new OutputTag<>("patchify-dead-letters") {};

    public static final String ACC_REJECTED = "scanline.rejectedImages", ACC_PATCHIFY_NANOS = "scanline.patchifyNanos";
    private final int patchSize, chunkPatches, tilePatches;
    private transient org.apache.flink.api.common.accumulators.LongCounter rejected, nanos;

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
        rejected = new org.apache.flink.api.common.accumulators.LongCounter();
        getRuntimeContext().addAccumulator(ACC_REJECTED, rejected);
        nanos = new org.apache.flink.api.common.accumulators.LongCounter();
        getRuntimeContext().addAccumulator(ACC_PATCHIFY_NANOS, nanos);
    }

    public PatchifyFunction(int patchSize, int chunkPatches, int tilePatches) {
        this.patchSize = patchSize;
        this.chunkPatches = chunkPatches;
        this.tilePatches = tilePatches;
        new ImageChunker(patchSize, chunkPatches, tilePatches);   // validates the arguments at graph build time
    }

    @Override
    public void processElement(String ref, Context ctx, Collector<ChunkRecord> out) {
        String path = ref.trim();
        String id = ImageChunker.idOf(path);
        long t0 = System.nanoTime();
        try {
            // timed without downstream work: chained emission is excluded by timing only reading + cutting
            new ImageChunker(patchSize, chunkPatches, tilePatches).chunk(id, path, r -> {
                // downstream (chained) work runs inside collect: take its time back out
                if (nanos != null) nanos.add(System.nanoTime());
                out.collect(r);
                if (nanos != null) nanos.add(-System.nanoTime());
            });
        } catch (ImageChunker.Rejected e) {
            if (rejected != null) rejected.add(1);
            ctx.output(DEAD_LETTERS, ScanEvent.deadLetter(id, -1, e.reasonCode(), e.getMessage()));
        } finally {
            if (nanos != null) nanos.add(System.nanoTime() - t0);
        }
    }
}
