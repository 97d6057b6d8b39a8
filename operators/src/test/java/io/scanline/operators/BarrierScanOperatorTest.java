package io.scanline.operators;

import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.stream.Patches;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.scanline.operators.RecurrentScanOperatorTest.assertClose;
import static io.scanline.operators.RecurrentScanOperatorTest.of;
import static io.scanline.operators.RecurrentScanOperatorTest.result;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A barrier family (Vim: forward + backward sweeps, middle class token) through the keyed scan
 * operator: chunks are buffered in the image's barrier spill, which is the image's keyed state, and
 * the model runs at the last chunk. Chunked, whole and restored runs feed the model the same pixels,
 * so they must be bit-identical; against the fp64 golden logits 1e-4 relative (golden README).
 */
class BarrierScanOperatorTest {
    static final Path MODEL = Path.of(System.getProperty("scanline.shared", "../shared"), "golden", "vim_d2_64x64");
    static GoldenCase golden;

    @BeforeAll
    static void load() throws Exception {
        golden = GoldenCase.load(MODEL);
    }

    static List<ChunkRecord> chunks(String id, int b, int... lengths) {
        ImageSource img = ImageSource.of(golden.tensor("input.image").toF32().batch(b));
        List<ChunkRecord> out = new ArrayList<>();
        int t = 0;
        for (int i = 0; i < lengths.length; i++) {
            out.add(new ChunkRecord(id, i, 4, 4, 16, Patches.range(img, 16, t, t + lengths[i]).f32(), i == lengths.length - 1));
            t += lengths[i];
        }
        assertEquals(16, t);
        return out;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, ChunkRecord, ScanEvent> harness(int bundle) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new RecurrentScanOperator(EngineSpec.of(MODEL.toString(), "reference"),
                bundle, 64L << 20), (ChunkRecord r) -> r.imageId, Types.STRING);
    }

    static List<ScanEvent> run(int bundle, List<ChunkRecord> in) throws Exception {
        try (var h = harness(bundle)) {
            h.open();
            for (ChunkRecord r : in) h.processElement(r, 0L);
            h.endInput();
            h.getOperator().finish();
            assertEquals(0, h.numKeyedStateEntries(), "state (barrier spill included) empty after the last image");
            return h.extractOutputValues();
        }
    }

    @Test
    void chunkedEqualsWholeEqualsGolden() throws Exception {
        float[] whole = result(run(1, chunks("a", 1, 16)), "a").logits;
        ScanEvent chunked = result(run(1, chunks("a", 1, 1, 4, 5, 6)), "a");
        assertArrayEquals(whole, chunked.logits);
        assertClose(golden.tensor("output.logits").toF32().batch(1).f32(), chunked.logits, 1e-4);
        assertEquals(16, chunked.totalTokens);
        assertEquals(16, of(run(1, chunks("a", 1, 1, 4, 5, 6)), ScanEvent.Kind.PATCHES).stream().mapToInt(e -> e.tokens).sum());
    }

    @Test
    void snapshotMidImageRestoresTheSpillAndContinues() throws Exception {
        List<ChunkRecord> a = chunks("a", 0, 3, 7, 6), b = chunks("b", 1, 5, 11);
        float[] ua = result(run(1, a), "a").logits, ub = result(run(1, b), "b").logits;
        OperatorSubtaskState snap;
        try (var h = harness(100)) {
            h.open();
            h.processElement(a.get(0), 0L);
            h.processElement(b.get(0), 0L);
            h.processElement(a.get(1), 0L);
            h.prepareSnapshotPreBarrier(1L);
            snap = h.snapshot(1L, 1L);
            assertEquals(2, h.numKeyedStateEntries());
            assertTrue(of(h.extractOutputValues(), ScanEvent.Kind.RESULT).isEmpty());
        }
        try (var h = harness(100)) {
            h.initializeState(snap);
            h.open();
            h.processElement(b.get(1), 0L);
            h.processElement(a.get(2), 0L);
            h.endInput();
            h.getOperator().finish();
            List<ScanEvent> after = h.extractOutputValues();
            assertArrayEquals(ua, result(after, "a").logits);
            assertArrayEquals(ub, result(after, "b").logits);
            assertFalse(java.util.Arrays.equals(ua, ub));
            assertEquals(0, h.numKeyedStateEntries());
        }
    }
}
