package io.scanline.operators;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.stream.ChunkOutput;
import io.scanline.kernels.stream.FinalOutput;
import io.scanline.kernels.stream.ImageHeader;
import io.scanline.kernels.stream.ImageScan;
import io.scanline.kernels.stream.ScanEngine;
import io.scanline.kernels.tensor.Tensor;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keyed by image id: carries each image's scan state (every layer's recurrent state) from chunk to
 * chunk in Flink keyed state, and runs the chunks of many images as one batched engine call.
 *
 * <p>Chunks are buffered and flushed on count/bytes, on watermarks, before every checkpoint barrier
 * ({@link #prepareSnapshotPreBarrier}) and at {@link #finish()}, so no chunk waits across a barrier
 * and the buffer is never part of a checkpoint: keyed state alone is the truth. A flush runs in
 * rounds, round i taking the i-th buffered chunk of every image, so each image's chunks stay in order.
 *
 * <p>Per chunk, by sequence number: a duplicate (seq already consumed) is dropped; a gap, a bad chunk
 * or a token count that does not fit the image dead-letters the image once and leaves a tombstone that
 * swallows its remaining chunks until its last one; state is never advanced by a bad chunk. At the last
 * chunk the image's RESULT is emitted and its state cleared, so a chunk redelivered after that (only an
 * at-least-once producer does this; replays from a checkpoint restore matching state) cannot be told
 * from an image whose beginning was lost, and is dead-lettered. Infrastructure faults (backend errors)
 * are rethrown so Flink restarts from the last checkpoint.
 *
 * <p>Glossary: n patches of a chunk, ps patch size, M patch tokens of an image.
 */
public class RecurrentScanOperator extends AbstractStreamOperator<ScanEvent>
        implements OneInputStreamOperator<ChunkRecord, ScanEvent> {
    private static final long serialVersionUID = 1L;
    public static final String GPU_RESOURCE = "gpu";
    public static final String GPU_ENV = "SCANLINE_GPU_INDEX";

    private final EngineSpec spec;
    private final int maxBundleChunks;
    private final long maxBundleBytes;
    private final boolean emitFeatures;

    private transient Backend backend;
    private transient ScanEngine engine;
    private transient ValueState<ScanState> state;
    private transient List<ChunkRecord> pending;
    private transient long pendingBytes;
    private transient Counter tokens, deadLetters, duplicates;
    private transient Histogram bundleSize, backendMs;
    private transient long inFlight, lastStateBytes;
    private transient LongCounter engineNanosAcc, tokensAcc, resultsAcc, deadAcc;

    /** Job accumulators: nanoseconds inside engine bundle calls, and patch tokens scanned. */
    public static final String ACC_ENGINE_NANOS = "scanline.engineNanos", ACC_TOKENS = "scanline.tokens",
            ACC_RESULTS = "scanline.results", ACC_DEAD_LETTERS = "scanline.scanDeadLetters",
            ACC_OPERATOR_NANOS = "scanline.scanOperatorNanos";
    private transient LongCounter operatorNanosAcc;
    /** Images whose scan was restored from a checkpoint in the middle (this attempt, this subtask). */
    public static final String ACC_RESTORED_MID_SCAN = "scanline.restoredMidScan";
    private transient boolean restored;

    @Override
    public void initializeState(org.apache.flink.runtime.state.StateInitializationContext context) throws Exception {
        super.initializeState(context);
        restored = context.isRestored();
    }

    public RecurrentScanOperator(EngineSpec spec, int maxBundleChunks, long maxBundleBytes) {
        this(spec, maxBundleChunks, maxBundleBytes, false);
    }

    /** @param emitFeatures PATCHES events also carry the chunk's final token features (for dense heads downstream) */
    public RecurrentScanOperator(EngineSpec spec, int maxBundleChunks, long maxBundleBytes, boolean emitFeatures) {
        if (maxBundleChunks < 1 || maxBundleBytes < 1) throw new IllegalArgumentException("bundle limits must be positive");
        this.spec = spec;
        this.maxBundleChunks = maxBundleChunks;
        this.maxBundleBytes = maxBundleBytes;
        this.emitFeatures = emitFeatures;
    }

    @Override
    public void open() throws Exception {
        super.open();
        EngineSpec s = spec;
        String gpu = gpuIndex();
        if (gpu != null && !s.backend().equals("reference") && !s.options().containsKey("device")) s = s.withOption("device", gpu);
        backend = s.openBackend();
        engine = s.openEngine(backend);
        state = getPartitionedState(new ValueStateDescriptor<>("scan-state", ScanStateSerializer.INSTANCE));
        pending = new ArrayList<>();
        var g = getMetricGroup();
        tokens = g.counter("tokens");
        g.meter("tokensPerSecond", new MeterView(tokens));
        deadLetters = g.counter("deadLetters");
        duplicates = g.counter("duplicateChunks");
        bundleSize = g.histogram("bundleSize", new DescriptiveStatisticsHistogram(512));
        backendMs = g.histogram("backendMsPerBundle", new DescriptiveStatisticsHistogram(512));
        g.gauge("imagesInFlight", () -> inFlight);
        g.gauge("stateBytesPerImage", () -> lastStateBytes);
        engineNanosAcc = new LongCounter();
        tokensAcc = new LongCounter();
        getRuntimeContext().addAccumulator(ACC_ENGINE_NANOS, engineNanosAcc);
        getRuntimeContext().addAccumulator(ACC_TOKENS, tokensAcc);
        resultsAcc = new LongCounter();
        deadAcc = new LongCounter();
        getRuntimeContext().addAccumulator(ACC_RESULTS, resultsAcc);
        getRuntimeContext().addAccumulator(ACC_DEAD_LETTERS, deadAcc);
        operatorNanosAcc = new LongCounter();
        getRuntimeContext().addAccumulator(ACC_OPERATOR_NANOS, operatorNanosAcc);
        LongCounter restoredAcc = new LongCounter();
        getRuntimeContext().addAccumulator(ACC_RESTORED_MID_SCAN, restoredAcc);
        if (restored) {
            try (var keys = getKeyedStateBackend().getKeys("scan-state", org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
                long n = keys.count();
                restoredAcc.add(n);
                inFlight = n;
                LOG.info("restored the scan state of {} image(s) in the middle of their scan", n);
            }
        }
    }

    /** GPU index: Flink external resource "gpu" in a cluster; the environment in a mini cluster. */
    private String gpuIndex() {
        try {
            for (ExternalResourceInfo info : getRuntimeContext().getExternalResourceInfos(GPU_RESOURCE)) {
                var idx = info.getProperty("index");
                if (idx.isPresent()) return idx.get();
            }
        } catch (RuntimeException e) {
            // a mini cluster or a harness has no external resources configured
        }
        return System.getenv(GPU_ENV);
    }

    @Override
    public void processElement(StreamRecord<ChunkRecord> element) throws Exception {
        ChunkRecord r = element.getValue();
        pending.add(r);
        pendingBytes += r.bytes();
        if (pending.size() >= maxBundleChunks || pendingBytes >= maxBundleBytes) flush();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        flush();
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (backend != null) backend.close();
        } finally {
            super.close();
        }
    }

    /** One image during a flush: its state as loaded, the live scan, and what to write back. */
    private static final class Live {
        ScanState st;
        ImageScan scan;
        boolean done;
    }

    private void flush() throws Exception {
        if (pending.isEmpty()) return;
        long start = System.nanoTime();
        try {
            flushRounds();
        } finally {
            operatorNanosAcc.add(System.nanoTime() - start);
        }
    }

    private void flushRounds() throws Exception {
        Map<String, ArrayDeque<ChunkRecord>> byKey = new LinkedHashMap<>();
        for (ChunkRecord r : pending) byKey.computeIfAbsent(r.imageId, k -> new ArrayDeque<>()).add(r);
        pending.clear();
        pendingBytes = 0;
        Map<String, Live> live = new LinkedHashMap<>();
        boolean more = true;
        while (more) {
            more = false;
            List<Live> ls = new ArrayList<>();
            List<ChunkRecord> rs = new ArrayList<>();
            List<ImageScan> scans = new ArrayList<>();
            List<Tensor> chunks = new ArrayList<>();
            for (Map.Entry<String, ArrayDeque<ChunkRecord>> e : byKey.entrySet()) {
                ChunkRecord r = e.getValue().poll();
                if (r == null) continue;
                more |= !e.getValue().isEmpty();
                Live l = live.computeIfAbsent(e.getKey(), this::load);
                if (admit(l, r)) {
                    ls.add(l);
                    rs.add(r);
                    scans.add(l.scan);
                    chunks.add(Tensor.of(r.pixels, r.patches(), 3, r.patchSize, r.patchSize));
                }
            }
            if (scans.isEmpty()) continue;
            long t0 = System.nanoTime();
            List<ChunkOutput> outs = engine.acceptBundle(scans, chunks);
            long dt = System.nanoTime() - t0;
            backendMs.update(dt / 1_000_000);
            engineNanosAcc.add(dt);
            bundleSize.update(scans.size());
            for (int i = 0; i < ls.size(); i++) emitChunk(ls.get(i), rs.get(i), outs.get(i));
        }
        for (Map.Entry<String, Live> e : live.entrySet()) store(e.getKey(), e.getValue());
    }

    private Live load(String key) {
        setCurrentKey(key);
        Live l = new Live();
        try {
            l.st = state.value();
        } catch (Exception ex) {
            throw new IllegalStateException("cannot read scan state of " + key, ex);
        }
        if (l.st != null && l.st.carried() != null) {
            l.scan = engine.restore(new ImageHeader(key, l.st.gridH(), l.st.gridW()), l.st.carried());
        }
        return l;
    }

    /** Decides what to do with the next chunk of an image; true = run it through the engine. */
    private boolean admit(Live l, ChunkRecord r) {
        if (l.done) {
            if (l.st != null && r.seq < l.st.nextSeq()) {
                duplicates.inc();
                return false;
            }
            return reject(l, r, "chunk " + r.seq + " after the image's last chunk");
        }
        if (l.st != null && l.st.rejected() != null) {          // tombstone: swallow the rest of the image
            if (r.last) l.done = true;
            return false;
        }
        long expected = l.st == null ? 0 : l.st.nextSeq();
        if (r.seq < expected) {
            duplicates.inc();
            return false;
        }
        if (r.seq > expected) {
            return reject(l, r, l.st == null ? "chunk " + r.seq + " of an image with no open scan (its beginning was lost, or it already ended)"
                    : "gap: expected chunk " + expected + ", got " + r.seq);
        }
        String bad = validate(l, r);
        if (bad != null) return reject(l, r, bad);
        if (l.scan == null) {
            l.scan = engine.open(new ImageHeader(r.imageId, r.gridH, r.gridW));
            l.st = new ScanState(r.gridH, r.gridW, 0, null, null);
            inFlight++;
        }
        return true;
    }

    private String validate(Live l, ChunkRecord r) {
        if (r.abort != null) return r.abort;
        if (r.patchSize != engine.patchSize()) return "patch size " + r.patchSize + " but the model's is " + engine.patchSize();
        int per = 3 * r.patchSize * r.patchSize;
        if (r.pixels == null || r.pixels.length % per != 0) return "chunk pixels are not whole patches of 3x" + r.patchSize + "x" + r.patchSize;
        for (float v : r.pixels) if (!Float.isFinite(v)) return "chunk " + r.seq + " holds a non-finite pixel";
        if (r.gridH < 1 || r.gridW < 1) return "bad patch grid " + r.gridH + "x" + r.gridW;
        if (l.st != null && (l.st.gridH() != r.gridH || l.st.gridW() != r.gridW)) {
            return "patch grid changed from " + l.st.gridH() + "x" + l.st.gridW() + " to " + r.gridH + "x" + r.gridW;
        }
        long at = l.scan == null ? 0 : l.scan.nextToken(), m = (long) r.gridH * r.gridW, end = at + r.patches();
        if (end > m) return "chunk " + r.seq + " runs to token " + end + " past the image's " + m;
        if (r.last && end != m) return "last chunk ends at token " + end + " of " + m;
        return null;
    }

    private boolean reject(Live l, ChunkRecord r, String reason) {
        deadLetters.inc();
        deadAcc.add(1);
        // an aborted read carries the ingest reason code as its prefix ("TRUNCATED: ...")
        String code = r.abort != null && r.abort.indexOf(':') > 0 ? r.abort.substring(0, r.abort.indexOf(':')) : ScanEvent.SCAN_REJECTED;
        output.collect(new StreamRecord<>(ScanEvent.deadLetter(r.imageId, r.seq, code, reason)));
        if (l.scan != null || (l.st != null && l.st.carried() != null)) inFlight--;
        if (l.scan != null) l.scan.close();
        l.scan = null;
        int gh = l.st != null ? l.st.gridH() : Math.max(1, r.gridH), gw = l.st != null ? l.st.gridW() : Math.max(1, r.gridW);
        l.st = ScanState.tombstone(gh, gw, r.seq + 1, reason);
        l.done = r.last;
        return false;
    }

    private void emitChunk(Live l, ChunkRecord r, ChunkOutput o) {
        // barrier families return no per-token rows before the end: count the chunk's patches
        tokens.inc(r.patches());
        tokensAcc.add(r.patches());
        ScanEvent p = new ScanEvent();
        p.kind = ScanEvent.Kind.PATCHES;
        p.imageId = r.imageId;
        p.seq = r.seq;
        p.firstToken = o.firstToken();
        p.tokens = r.patches();
        p.totalTokens = (long) r.gridH * r.gridW;
        p.gridH = r.gridH;
        p.gridW = r.gridW;
        p.patchClasses = argmaxRows(o.tokenLogits());
        if (emitFeatures) {
            // barrier families have no features before the end: dense heads need a streaming family
            if (o.features() == null) throw new IllegalStateException(engine.family() + " emits no per-chunk features; dense outputs need a streaming family");
            p.features = o.features().f32().clone();
            p.featureWidth = o.features().dim(1);
        }
        output.collect(new StreamRecord<>(p));
        l.st = new ScanState(l.st.gridH(), l.st.gridW(), r.seq + 1, null, null);
        if (r.last) {
            long t0 = System.nanoTime();
            FinalOutput f = l.scan.finish();
            engineNanosAcc.add(System.nanoTime() - t0);
            ScanEvent res = new ScanEvent();
            res.kind = ScanEvent.Kind.RESULT;
            res.imageId = r.imageId;
            res.seq = r.seq;
            res.tokens = (int) Math.min(Integer.MAX_VALUE, f.tokens());
            res.totalTokens = f.tokens();
            res.gridH = r.gridH;
            res.gridW = r.gridW;
            res.logits = f.logits();
            res.classIndex = f.argmax();
            resultsAcc.add(1);
            output.collect(new StreamRecord<>(res));
            l.done = true;
            l.scan = null;
            inFlight--;
        }
    }

    private static int[] argmaxRows(Tensor logits) {
        if (logits == null) return new int[0];
        int n = logits.dim(0), k = logits.dim(1);
        float[] v = logits.f32();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) if (v[i * k + j] > v[i * k + best]) best = j;
            out[i] = best;
        }
        return out;
    }

    private void store(String key, Live l) throws Exception {
        setCurrentKey(key);
        if (l.done) {
            state.clear();
        } else if (l.st != null && l.st.rejected() != null) {
            state.update(l.st);
        } else if (l.scan != null) {
            ScanState s = new ScanState(l.st.gridH(), l.st.gridW(), l.st.nextSeq(), l.scan.snapshot(), null);
            lastStateBytes = s.bytes();
            state.update(s);
            l.scan.close();   // keyed state is the truth; the next flush restores from it
        }
    }
}
