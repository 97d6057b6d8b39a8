package io.scanline.kernels.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused mLSTM's segment rule at an H100's figures (132 SMs; the wgmma build resident twice per SM at head dims up
 * to 256, once above), held to the counts that were fastest in the H100 sweep of forced segment counts
 * (results-h100/mlstm-wgmma/20-segment-sweep and 30-segment-sweep-vil), and to its bounds on random shapes.
 */
class FusedSegmentsTest {
    private static final int SMS = 132;

    private static int pick(int b, int l, int nh, int dh) {
        int perSm = (dh + 127) / 128 * 128 <= 256 ? 2 : 1;
        return FusedSegments.choose((long) b * nh * ((dh + 63) / 64), (l + 63) / 64, SMS, perSm, dh);
    }

    @Test
    void picksTheSweepsFastestCounts() {
        // shapes whose blocks fill the GPU's slots walk whole: segments would only add work
        assertEquals(1, pick(8, 16384, 8, 256));   // 3.43 ms against 4.26 ms at the old rule's G 3
        assertEquals(1, pick(8, 16384, 8, 512));
        assertEquals(1, pick(8, 16384, 8, 384));
        assertEquals(1, pick(8, 4096, 4, 256));    // short walks: the segment passes cost more than they buy
        // whole waves: G 4 of 64 blocks fills 256 of 264 slots, G 8 of 96 blocks 768 of 792 (three waves)
        assertEquals(4, pick(8, 65536, 4, 128));   // 3.71 ms against 4.22 ms at the old rule's G 9
        assertEquals(4, pick(8, 65536, 8, 64));
        assertEquals(8, pick(8, 65536, 4, 192));   // 7.63 ms against 9.31 ms at G 6
        assertEquals(2, pick(1, 65536, 8, 512));   // 128 blocks on 132 SMs: 6.24 ms against 7.22 ms at G 5
        assertEquals(2, pick(8, 65536, 4, 256));
        assertEquals(16, pick(1, 65536, 4, 256));
        // the ViL models' mLSTM calls with 4096-token chunks (30-segment-sweep-vil): each piece's fixed cost (its state
        // read and written) keeps ViL-B's at 5 segments (0.185 ms against 0.214 at 11)
        assertEquals(32, pick(1, 4096, 4, 96));
        assertEquals(5, pick(1, 4096, 4, 384));
        assertEquals(11, pick(2, 4096, 4, 192));
        assertEquals(4, pick(8, 4096, 4, 96));
    }

    @Test
    void staysWithinTheChunksAndWalksWholeInWholeWaves() {
        Random r = new Random(7);
        for (int i = 0; i < 2000; ++i) {
            long blocks = 1 + r.nextInt(2048);
            int chunks = 1 + r.nextInt(r.nextBoolean() ? 64 : 20000);
            int perSm = 1 + r.nextInt(2), dh = 64 * (1 + r.nextInt(8));
            int g = FusedSegments.choose(blocks, chunks, SMS, perSm, dh);
            assertTrue(g >= 1 && g <= chunks, "G " + g + " of " + chunks + " chunks");
            assertEquals(g, FusedSegments.effective(chunks, g), "G is a count the launches keep");
        }
        // blocks in whole waves: nothing for segments to even out
        for (int waves = 1; waves <= 4; ++waves)
            for (int perSm = 1; perSm <= 2; ++perSm)
                assertEquals(1, FusedSegments.choose((long) waves * perSm * SMS, 1 + r.nextInt(4096), SMS, perSm, 256));
        assertEquals(1, FusedSegments.choose(1, 1, SMS, 1, 128));
        assertThrows(IllegalArgumentException.class, () -> FusedSegments.choose(0, 4, SMS, 1, 128));
    }
}
