package io.scanline.operators;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The keyed scan operator in Flink's operator harness (heap keyed state, real checkpoints of it).
 * Results of differently chunked/bundled/restored runs must be bit-identical: the reference backend
 * uses the same per-token arithmetic for every chunking and batch. Against the fp64 golden logits the
 * tolerance is 1e-4 relative (models tolerance of the golden README).
 */
class RecurrentScanOperatorTest {

    static KeyedOneInputStreamOperatorTestHarness<String, ChunkRecord, ScanEvent> harness(int maxBundle) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new RecurrentScanOperator(TestImages.spec(), maxBundle, 64L << 20), (ChunkRecord r) -> r.imageId, Types.STRING);
        return h;
    }

    static List<ScanEvent> run(int maxBundle, List<ChunkRecord> records) throws Exception {
        try (var h = harness(maxBundle)) {
            h.open();
            for (ChunkRecord r : records) h.processElement(r, 0L);
            h.endInput();
            h.getOperator().finish();
            assertEquals(0, h.numKeyedStateEntries(), "state must be empty after every image ended");
            return h.extractOutputValues();
        }
    }

    static List<ScanEvent> of(List<ScanEvent> events, ScanEvent.Kind kind) {
        return events.stream().filter(e -> e.kind == kind).collect(Collectors.toList());
    }

    static ScanEvent result(List<ScanEvent> events, String id) {
        List<ScanEvent> r = events.stream().filter(e -> e.kind == ScanEvent.Kind.RESULT && e.imageId.equals(id)).toList();
        assertEquals(1, r.size(), "exactly one RESULT for " + id + " in " + events);
        return r.get(0);
    }

    static void assertClose(float[] ref, float[] got, double relTol) {
        double max = 0, err = 0;
        for (int i = 0; i < ref.length; i++) {
            max = Math.max(max, Math.abs(ref[i]));
            err = Math.max(err, Math.abs(ref[i] - got[i]));
        }
        assertTrue(err <= relTol * max, "max abs err " + err + " > " + relTol + " * " + max);
    }

    @Test
    void chunkedEqualsWholeAndGolden() throws Exception {
        ScanEvent whole = result(run(1, TestImages.chunks("a", 0, 16)), "a");
        ScanEvent chunked = result(run(1, TestImages.chunks("a", 0, 1, 3, 4, 5, 3)), "a");
        assertArrayEquals(whole.logits, chunked.logits);
        assertClose(TestImages.goldenLogits(0), chunked.logits, 1e-4);
        assertEquals(16, chunked.totalTokens);
    }

    @Test
    void patchEventsCoverTheImageInOrder() throws Exception {
        List<ScanEvent> ev = run(2, TestImages.chunks("a", 1, 5, 5, 6));
        List<ScanEvent> p = of(ev, ScanEvent.Kind.PATCHES);
        assertEquals(List.of(0L, 5L, 10L), p.stream().map(e -> e.firstToken).toList());
        assertEquals(16, p.stream().mapToInt(e -> e.patchClasses.length).sum());
        // the RESULT follows the last chunk's PATCHES
        assertEquals(ScanEvent.Kind.RESULT, ev.get(ev.size() - 1).kind);
    }

    @Test
    void snapshotMidImageRestoreIntoFreshOperatorContinuesIdentically() throws Exception {
        List<ChunkRecord> a = TestImages.chunks("a", 0, 3, 4, 4, 5), b = TestImages.chunks("b", 1, 7, 2, 7);
        ScanEvent ua = result(run(3, concat(a, b)), "a"), ub = result(run(3, concat(a, b)), "b");
        OperatorSubtaskState snap;
        List<ScanEvent> before;
        try (var h = harness(100)) {       // large bundle: chunks still buffered when the snapshot is taken
            h.open();
            h.processElement(a.get(0), 0L);
            h.processElement(b.get(0), 0L);
            h.processElement(a.get(1), 0L);
            h.prepareSnapshotPreBarrier(1L);   // what the task does right before the barrier
            snap = h.snapshot(1L, 1L);
            assertEquals(2, h.numKeyedStateEntries(), "both images mid-scan are in keyed state");
            before = h.extractOutputValues();
        }
        assertEquals(3, of(before, ScanEvent.Kind.PATCHES).size(), "buffered chunks are flushed before the barrier");
        try (var h = harness(100)) {
            h.initializeState(snap);
            h.open();
            h.processElement(a.get(2), 0L);
            h.processElement(b.get(1), 0L);
            h.processElement(b.get(2), 0L);
            h.processElement(a.get(3), 0L);
            h.endInput();
            h.getOperator().finish();
            List<ScanEvent> after = h.extractOutputValues();
            assertArrayEquals(ua.logits, result(after, "a").logits);
            assertArrayEquals(ub.logits, result(after, "b").logits);
            assertEquals(0, h.numKeyedStateEntries());
        }
    }

    @Test
    void keysAreIsolatedWhenBundledTogether() throws Exception {
        float[] soloA = result(run(1, TestImages.chunks("a", 0, 4, 4, 4, 4)), "a").logits;
        float[] soloB = result(run(1, TestImages.chunks("b", 1, 4, 4, 4, 4)), "b").logits;
        // interleaved, same chunk lengths -> batched along B in one backend call per round
        List<ChunkRecord> a = TestImages.chunks("a", 0, 4, 4, 4, 4), b = TestImages.chunks("b", 1, 4, 4, 4, 4);
        List<ChunkRecord> mixed = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            mixed.add(a.get(i));
            mixed.add(b.get(i));
        }
        List<ScanEvent> ev = run(8, mixed);
        assertArrayEquals(soloA, result(ev, "a").logits);
        assertArrayEquals(soloB, result(ev, "b").logits);
        assertFalse(java.util.Arrays.equals(soloA, soloB), "the two images differ, so isolation is tested");
    }

    @Test
    void duplicateChunksAreDropped() throws Exception {
        List<ChunkRecord> a = TestImages.chunks("a", 0, 6, 6, 4);
        float[] clean = result(run(1, a), "a").logits;
        List<ChunkRecord> dup = List.of(a.get(0), a.get(0), a.get(1), a.get(0), a.get(1), a.get(2));
        for (int bundle : new int[] {1, 3, 16}) {
            List<ScanEvent> ev = run(bundle, dup);
            assertArrayEquals(clean, result(ev, "a").logits, "bundle " + bundle);
            assertTrue(of(ev, ScanEvent.Kind.DEAD_LETTER).isEmpty());
            assertEquals(3, of(ev, ScanEvent.Kind.PATCHES).size(), "each chunk scanned once");
        }
        // a duplicate of the last chunk in the same bundle is still known as a duplicate; once the
        // image's state is cleared a late chunk cannot be told from a lost beginning (documented)
        List<ScanEvent> ev = run(16, List.of(a.get(0), a.get(1), a.get(2), a.get(2)));
        assertEquals(1, of(ev, ScanEvent.Kind.RESULT).size());
        assertTrue(of(ev, ScanEvent.Kind.DEAD_LETTER).isEmpty());
    }

    @Test
    void gapDeadLettersTheImageOnceAndLeavesOthersAlone() throws Exception {
        List<ChunkRecord> a = TestImages.chunks("a", 0, 4, 4, 4, 4), b = TestImages.chunks("b", 1, 8, 8);
        float[] soloB = result(run(1, b), "b").logits;
        List<ChunkRecord> in = List.of(a.get(0), b.get(0), a.get(2), a.get(3), b.get(1));   // a misses chunk 1
        for (int bundle : new int[] {1, 16}) {
            List<ScanEvent> ev = run(bundle, in);
            List<ScanEvent> dl = of(ev, ScanEvent.Kind.DEAD_LETTER);
            assertEquals(1, dl.size(), "bundle " + bundle + ": " + ev);
            assertEquals("a", dl.get(0).imageId);
            assertTrue(dl.get(0).reason.contains("gap: expected chunk 1, got 2"), dl.get(0).reason);
            assertTrue(ev.stream().noneMatch(e -> e.kind == ScanEvent.Kind.RESULT && e.imageId.equals("a")));
            assertArrayEquals(soloB, result(ev, "b").logits);
        }
    }

    @Test
    void badChunksAreDeadLettered() throws Exception {
        List<ChunkRecord> a = TestImages.chunks("a", 0, 8, 8);
        a.get(1).pixels[5] = Float.NaN;
        ScanEvent dl = of(run(1, a), ScanEvent.Kind.DEAD_LETTER).get(0);
        assertTrue(dl.reason.contains("non-finite"), dl.reason);

        List<ChunkRecord> c = TestImages.chunks("c", 0, 8, 8);
        c.get(0).last = true;     // claims to end at token 8 of 16
        List<ScanEvent> ev = run(1, c.subList(0, 1));
        assertEquals(1, of(ev, ScanEvent.Kind.DEAD_LETTER).size());
        assertTrue(of(ev, ScanEvent.Kind.DEAD_LETTER).get(0).reason.contains("last chunk ends at token 8 of 16"));
        assertTrue(of(ev, ScanEvent.Kind.RESULT).isEmpty());
    }

    static <T> List<T> concat(List<T> x, List<T> y) {
        List<T> out = new java.util.ArrayList<>(x);
        out.addAll(y);
        return out;
    }
}
