package io.scanline.kernels.backend;

/** The two equivalent forms of Mamba-2 SSD (spec ops §9). */
public enum SsdForm {
    /** Token by token (§9.1): the definition. */
    RECURRENT,
    /** Chunked with segment sums and an incoming state (§9.2): the matmul-friendly form. */
    CHUNKED
}
