package io.scanline.kernels.backend;

/** The three equivalent forms of the mLSTM cell (spec ops §10). */
public enum MlstmForm {
    /** Stabilized step by step (§10.1): the definition; O(L·DH²). */
    RECURRENT,
    /** Chunkwise with carried state (§10.3): matmul-heavy, the streaming fast path. */
    CHUNKWISE,
    /** Parallel over the whole call (§10.2): O(L²); an oracle, not for long sequences. */
    PARALLEL
}
