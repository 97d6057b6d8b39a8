package io.scanline.kernels.backend.cuda;

/**
 * Chunk lengths of the chunk-parallel scans (selective scan, SSD, segment SSD): arithmetic over the GPU's SM
 * count and the resident blocks per SM of the builds, apart from the launches so that it is tested without a GPU
 * ({@code ScanChunksTest}). {@link CudaOps} reads the occupancies from the driver and applies a forced chunk
 * length and its options before asking here. Each method returns a chunk length in tokens: l where the sequence
 * stays whole, and never more than {@link #MAX_CHUNKS} chunks.
 *
 * <p>Glossary: B batch, L tokens, E channels, H heads, P head dim; a chunk row is the blocks of one chunk index
 * across the batch.
 *
 * @param sms             streaming multiprocessors
 * @param out1BlocksPerSm resident 128-thread blocks per SM of the Mamba-1 one-pass output build (ss_out1_n16)
 * @param wideBlocksPerSm resident blocks per SM of the SSD's 8-token builds (ssd_state1_n16 and ssd_out1_n16)
 * @param segBlocksPerSm  resident blocks per SM of the segment SSD
 */
record ScanChunks(int sms, int out1BlocksPerSm, int wideBlocksPerSm, int segBlocksPerSm) {
    /** The launches' grid y limit. */
    static final int MAX_CHUNKS = 65535;

    ScanChunks {
        if (sms < 1 || out1BlocksPerSm < 1 || wideBlocksPerSm < 1 || segBlocksPerSm < 1) {
            throw new IllegalArgumentException("SMs and resident blocks per SM must be >= 1, got " + sms + ", "
                    + out1BlocksPerSm + ", " + wideBlocksPerSm + ", " + segBlocksPerSm);
        }
    }

    /** The general rule: enough (b, chunk, channel) threads to fill the GPU, chunks of at least 64 tokens. */
    int general(int b, int l, int e) {
        long threads = (long) b * e;
        long want = (long) sms * 1024;
        if (threads * 2 >= want || l <= 128) return Math.max(1, l);
        return length(l, Math.min((want + threads - 1) / threads, Math.max(1, l / 64)));
    }

    /**
     * The Mamba-1 scan at N &lt;= 16 under the backward state pass: enough chunks for {@code waves} times the
     * channels that fill one 128-thread block per SM; past one wave of the output build's resident blocks, rounded
     * down to whole waves (a last partial wave leaves most SMs idle while it runs). H100
     * (results-h100/scan-tail/6-whole-waves/): B8 L64K E1536, 6 chunks (1.09 waves) before, 5 now, 57.1 → 59.0%
     * of the copy bandwidth.
     *
     * @param blocksPerChunk blocks of one chunk of one batch row
     */
    int waves(int b, int l, int e, int blocksPerChunk, int waves) {
        long nch = Math.min((waves * 128L * sms + (long) b * e - 1) / ((long) b * e), Math.max(1, l / 64));
        long row = (long) b * blocksPerChunk, slots = (long) sms * out1BlocksPerSm;
        if (nch * row > slots) nch = Math.max(1, nch * row / slots * slots / row);
        return length(l, nch);
    }

    /**
     * The SSD cut into chunks at width 16 (ssd_state1_n16 / ssd_out1_n16): up to {@code waves} waves of blocks with
     * chunks of at least 512 tokens, rounded down to whole waves. With the backward state pass two waves beat four
     * (results-h100/scan-tail/7-ssd-waves/, % of the copy bandwidth, bench inputs / slow decays): B1 L1M H24 70.3 /
     * 66.5 against 68.7 / 61.1, B8 L64K H24 67.1 / 60.2 against 64.6 / 56.3, B8 L64K H12 63.8 / 61.4 against 60.5 /
     * 56.9, B8 L1M H12 74.9 / 74.4 against 74.7 / 73.5. With the tensor-core state pass four had been chosen
     * (results-h100/ssd-wide-chunks/, harness, 8-token builds): B1 L1M H24 P64 9.74 ms at 176 chunks = 4 waves
     * (10.2 at 88, 12.4 at 22), B1 L64K H24 0.65 ms at 44 or 88 (1 or 2 waves), B8 L64K H12 2.46 ms at 44.
     *
     * @param blocksPerRow blocks of one chunk of one batch row
     */
    int ssd(int b, int l, int blocksPerRow, int waves) {
        long blocks = (long) b * blocksPerRow;
        long slots = (long) sms * wideBlocksPerSm;
        long nch = Math.min((waves * slots + blocks - 1) / blocks, Math.max(1, l / 512));
        long whole = nch * blocks / slots;
        if (whole >= 1) nch = Math.max(1, whole * slots / blocks);
        return length(l, nch);
    }

    /**
     * The segment SSD: one pass when its B·H·⌈P/headDimsPerBlock⌉ blocks fill at least half of the GPU's resident
     * blocks (a second pass over x costs more than idle slots), else chunks enough to fill them about six times,
     * each at least 4 tiles. H100 (results-h100/ssd-seg): one pass at B8 L64K H24 P64 is 1.5x the chunked form of
     * the same kernel; at B1 L1M 33 to 132 chunks are within 1% of each other.
     */
    int segment(int b, int l, int heads, int p, int headDimsPerBlock, int tile) {
        long blocks = (long) b * heads * ((p + headDimsPerBlock - 1) / headDimsPerBlock);
        long slots = (long) sms * segBlocksPerSm;
        if (2 * blocks >= slots || l <= 8 * tile) return Math.max(1, l);
        return length(l, Math.min((6 * slots + blocks - 1) / blocks, Math.max(1, l / (4 * tile))));
    }

    /** Resident blocks of the SSD's 8-token builds on the whole GPU. */
    long wideSlots() {
        return (long) sms * wideBlocksPerSm;
    }

    private static int length(int l, long nch) {
        long n = Math.max(1, Math.min(nch, MAX_CHUNKS));
        return (int) Math.min(l, (l + n - 1) / n);
    }
}
