package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.nio.file.Path;

/**
 * A barrier's materialized residual stream, (B, L, D) F32, addressed by token rows: what one pass of a
 * multi-pass model writes and a later pass reads back, in any order and chunking.
 *
 * <p>Glossary: B images, L tokens, D width (floats per token row).
 */
public interface TokenStore extends AutoCloseable {

    int tokens();

    /** Writes rows (B, n, D) at tokens [t0, t0 + n); rows written before over that range are replaced. */
    void write(int t0, Tensor rows);

    /** Reads tokens [t0, t0 + n) as (B, n, D): a copy, free for the caller to change. */
    Tensor read(int t0, int n);

    @Override
    void close();

    /**
     * The store for a pass: on the backend's device when the backend grants room for all of it
     * ({@link Backend#reserveDeviceStore}), so that its rows never travel to the host; else host memory
     * up to {@code memoryBudgetBytes} with the rest spilled to a file in {@code spillDir}.
     */
    static TokenStore open(Backend be, int batch, int tokens, int width, long memoryBudgetBytes, Path spillDir,
                           MemoryLedger ledger) {
        long bytes = 4L * batch * tokens * width;
        if (bytes > 0 && be.reserveDeviceStore(bytes)) return new ResidentStore(be, batch, tokens, width, bytes);
        return new SpillStore(batch, tokens, width, memoryBudgetBytes, spillDir, ledger);
    }
}
