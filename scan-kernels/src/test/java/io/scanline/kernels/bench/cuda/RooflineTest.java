package io.scanline.kernels.bench.cuda;

import io.scanline.kernels.bench.OpFlops;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RooflineTest {
    /** Bytes of the bench's mLSTM case per token and head: q, k, v in and h out as fp32, the two gates. */
    private static double mlstmBytes(long tokenHeads, int dh) { return 4.0 * tokenHeads * (4.0 * dh + 2); }

    @Test
    void mlstmAtTheBenchsLargestHeadDimIsMemoryBound() {
        // B8 L16384 NH8 DH512, chunk 64: (4·DH² + 4·Q·DH) / (16·DH + 8) ≈ 144 FLOP per byte; at 3 TB/s that is
        // 431 TFLOP/s, below half the datasheet's 989: no kernel with fp32 q, k, v, h reaches 50% of it there
        long th = 8L * 16384 * 8;
        Roofline r = Roofline.of(OpFlops.mlstmChunkwise(th, 512, 64), mlstmBytes(th, 512), 989, 3000);
        assertTrue(r.memoryBound());
        assertEquals(143.9, r.intensity(), 0.1);
        assertEquals(431.6, r.tflops(), 0.5);
        assertTrue(r.tflops() < 0.5 * 989);
    }

    @Test
    void largeGemmIsComputeBoundAndCappedAtThePeak() {
        double n = 8192;
        Roofline r = Roofline.of(2 * n * n * n, 4 * n * n + 2 * n * n + 4 * n * n, 700, 3000);
        assertFalse(r.memoryBound());
        assertEquals(700, r.tflops(), 0);
        assertEquals(2 * n / 10, r.intensity(), 1e-9);
    }

    @Test
    void ridgeIsWhereTheTwoCeilingsMeet() {
        // 700 TFLOP/s over 3000 GB/s: 233.3 FLOP per byte
        assertTrue(Roofline.of(233.0, 1, 700, 3000).memoryBound());
        assertFalse(Roofline.of(234.0, 1, 700, 3000).memoryBound());
    }

    @Test
    void refusesMissingFigures() {
        assertThrows(IllegalArgumentException.class, () -> Roofline.of(1, 1, Double.NaN, 3000));
        assertThrows(IllegalArgumentException.class, () -> Roofline.of(1, 0, 700, 3000));
        assertThrows(IllegalArgumentException.class, () -> Roofline.of(1, 1, 700, -1));
    }
}
