package io.scanline.kernels.backend.cuda;

/**
 * Segment count of the fused (state-on-chip) chunkwise mLSTM: pure arithmetic over the GPU's SM count and the
 * resident blocks per SM of the chosen build, apart from the launches so that it is tested without a GPU
 * ({@code FusedSegmentsTest}); {@code mlstm_rules.hpp} mirrors it for the CUDA harness (the CPU emulator check
 * holds the mirror to the same picks, emu/mlstm_emu.cpp).
 *
 * <p>Glossary: a block walks the chunks of one (image, head, 64-channel value slab); G segments cut each walk into
 * G pieces of {@code spc} chunks (the last shorter), each then also needing a state-only pass over its chunks, the
 * combine of the segment states and a pass from the combined incoming state.
 *
 * <p>The estimate, in units of one chunk of one block alone on an SM: (1 + c·[G &gt; 1]) · (spc + p·[G &gt; 1]) ·
 * waves, where waves counts the block waves of the G·blocks pieces: with one resident block per SM a wave of SM-count
 * pieces costs 1; with two, a full wave costs {@link #SHARED_COST} (two blocks on one SM each run at 1/1.55 of one
 * alone) and a last partial wave costs 1 where it leaves every SM at most one block. c is the segments' extra work
 * per chunk (the state-only pass and the combine): {@link #SEGMENT_COST_SMALL} at head dims up to 256,
 * {@link #SEGMENT_COST_LARGE} above; p ({@link #PIECE_COST}) a piece's fixed cost in chunks (its state read and
 * written). The smallest G within {@link #TOLERANCE} of the best estimate wins (fewer state round trips at equal
 * time). The constants are fitted to sweeps of forced segment counts on an H100 (NOTES.md, "Segment counts"): the
 * pick is the fastest measured count at all 16 swept shapes it was measured at (12 bench shapes, the ViL models'
 * 4096-token calls and small batches of them).
 */
final class FusedSegments {
    static final double SHARED_COST = 1.55;
    static final double SEGMENT_COST_SMALL = 0.25, SEGMENT_COST_LARGE = 0.7;
    static final double PIECE_COST = 1.0;
    static final double TOLERANCE = 1.03;
    /** Segment counts searched: past this many the state round trips dominate at any shape we run. */
    static final int MAX_SEGMENTS = 1024;

    private FusedSegments() {}

    /**
     * @param blocks      slab blocks of one walk: batch × heads × value slabs (head dim / 64, rounded up)
     * @param chunks      chunks per sequence
     * @param sms         streaming multiprocessors
     * @param blocksPerSm resident blocks per SM of the build (as the driver computes them; 1 or 2 on an H100)
     * @param dh          head dim
     * @return segments, 1..chunks, as the launches use them (G chunks rounded to whole pieces of spc chunks)
     */
    static int choose(long blocks, int chunks, int sms, int blocksPerSm, int dh) {
        if (blocks < 1 || chunks < 1 || sms < 1 || blocksPerSm < 1) {
            throw new IllegalArgumentException("blocks, chunks, SMs and blocks per SM must be >= 1, got " + blocks + ", "
                    + chunks + ", " + sms + ", " + blocksPerSm);
        }
        double c = dh <= 256 ? SEGMENT_COST_SMALL : SEGMENT_COST_LARGE;
        int limit = Math.min(chunks, MAX_SEGMENTS);
        double[] cost = new double[limit + 1];   // by effective segment count; 0 = not reached
        double best = Double.MAX_VALUE;
        for (int g = 1; g <= limit; ++g) {
            int eff = effective(chunks, g), spc = (chunks + eff - 1) / eff;   // as the launches cut the walk
            double t = (eff > 1 ? (1 + c) * (spc + PIECE_COST) : spc) * waves(blocks * eff, sms, blocksPerSm);
            cost[eff] = t;
            best = Math.min(best, t);
        }
        for (int g = 1; g <= limit; ++g) if (cost[g] > 0 && cost[g] <= best * TOLERANCE) return g;
        return 1;
    }

    /** Segments the launches end up with for a requested count: whole pieces of ceil(chunks / g) chunks. */
    static int effective(int chunks, int g) {
        int spc = (chunks + g - 1) / g;
        return (chunks + spc - 1) / spc;
    }

    static double waves(long pieces, int sms, int blocksPerSm) {
        if (blocksPerSm == 1) return (pieces + sms - 1) / sms;
        long slots = (long) sms * 2;   // builds with more resident blocks are costed as two (none exist)
        long full = pieces / slots, rest = pieces % slots;
        return full * SHARED_COST + (rest == 0 ? 0 : rest <= sms ? 1 : SHARED_COST);
    }
}
