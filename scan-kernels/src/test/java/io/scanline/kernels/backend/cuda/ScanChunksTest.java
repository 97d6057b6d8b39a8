package io.scanline.kernels.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scans' chunk rules without a GPU, at an H100's occupancies (132 SMs; 4 resident blocks per SM of the
 * one-pass and 8-token builds, as the driver reports them there): the chunk counts the H100 notes were measured
 * at, and on random shapes the bounds every rule keeps.
 */
class ScanChunksTest {
    private static final ScanChunks H100 = new ScanChunks(132, 4, 4, 4);

    private static int chunks(int l, int chunk) {
        return (l + chunk - 1) / chunk;
    }

    @Test
    void generalRuleFillsTheGpuWithChunksOfAtLeast64Tokens() {
        assertEquals(88, chunks(1 << 20, H100.general(1, 1 << 20, 1536)), "135168 threads wanted / 1536 channels");
        assertEquals(64, chunks(4096, H100.general(1, 4096, 1536)), "at most one chunk per 64 tokens");
        assertEquals(4096, H100.general(64, 4096, 1536), "a batch that fills the GPU stays whole");
        assertEquals(100, H100.general(1, 100, 16), "128 tokens or fewer stay whole");
    }

    @Test
    void wavesRuleRoundsDownToWholeWavesPastTheFirst() {
        // B1 E1536: 12 blocks a chunk, 4 waves of one block per SM = 44 chunks = exactly one wave of 528 slots
        assertEquals(44, chunks(1 << 20, H100.waves(1, 1 << 20, 1536, 12, 4)));
        assertEquals(176, chunks(1 << 20, H100.waves(1, 1 << 20, 384, 3, 4)));
        // B8 E1536: 6 chunks of 96 blocks would be 1.09 waves; 5 fill 0.91
        assertEquals(5, chunks(65536, H100.waves(8, 65536, 1536, 12, 4)));
        // B8 E768 at 8 waves: 22 chunks of 48 blocks = 2 whole waves
        assertEquals(22, chunks(65536, H100.waves(8, 65536, 768, 6, 8)));
        assertEquals(22, chunks(1 << 20, H100.waves(1, 1 << 20, 1536, 12, 2)), "half a wave stays as it is");
    }

    @Test
    void ssdRuleTakesWholeWavesOfItsBuildsWithChunksOfAtLeast512Tokens() {
        // H24 P64: 12 blocks a chunk; 2 waves = 88 chunks, 4 waves = 176 (the count the 4-wave H100 figures ran at)
        assertEquals(88, chunks(1 << 20, H100.ssd(1, 1 << 20, 12, 2)));
        assertEquals(176, chunks(1 << 20, H100.ssd(1, 1 << 20, 12, 4)));
        // B1 L64K H12: 128 chunks of 512 tokens would be 1.45 waves; one whole wave is 88
        assertEquals(88, chunks(65536, H100.ssd(1, 65536, 6, 2)));
        assertEquals(22, chunks(65536, H100.ssd(8, 65536, 12, 4)));
        assertEquals(11, chunks(65536, H100.ssd(8, 65536, 12, 2)));
    }

    @Test
    void segmentRuleRunsOnePassWhenHalfTheSlotsFill() {
        assertEquals(65536, H100.segment(8, 65536, 24, 64, 32, 64), "384 blocks fill more than half of 528");
        assertEquals(500, H100.segment(1, 500, 2, 64, 32, 64), "8 tiles or fewer stay whole");
        int chunk = H100.segment(1, 1 << 20, 24, 64, 32, 64);
        assertEquals(66, chunks(1 << 20, chunk), "48 blocks fill the 528 slots about six times in 66 chunks");
    }

    @Test
    void everyRuleKeepsItsChunksWithinTheSequenceAndTheGrid() {
        Random r = new Random(7);
        ScanChunks small = new ScanChunks(1, 1, 1, 1), big = new ScanChunks(1000, 16, 16, 16);
        for (ScanChunks c : new ScanChunks[] {H100, small, big}) {
            for (int i = 0; i < 2000; i++) {
                int b = 1 + r.nextInt(64), l = 1 + r.nextInt(r.nextBoolean() ? 5000 : Integer.MAX_VALUE / 4);
                int e = 1 + r.nextInt(20000), blocks = 1 + r.nextInt(200), waves = 1 + r.nextInt(16);
                int[] got = {c.general(b, l, e), c.waves(b, l, e, blocks, waves), c.ssd(b, l, blocks, waves),
                        c.segment(b, l, 1 + r.nextInt(48), 1 + r.nextInt(128), 32, 64)};
                for (int chunk : got) {
                    String at = c + " B" + b + " L" + l + " E" + e + " blocks " + blocks + " waves " + waves + ": chunk " + chunk;
                    assertTrue(chunk >= 1 && chunk <= l, at);
                    assertTrue(chunks(l, chunk) <= ScanChunks.MAX_CHUNKS, at);
                }
            }
        }
    }

    @Test
    void occupanciesMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ScanChunks(0, 4, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> new ScanChunks(132, 4, 0, 4));
    }
}
