package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A barrier's materialized residual stream, (B, L, D) F32, addressed by token rows: what one pass of a
 * multi-pass model writes and a later pass reads back, in any order and chunking.
 *
 * <p>Glossary: B images, L tokens, D width (floats per token row).
 */
public interface TokenStore extends AutoCloseable {

    int tokens();

    /**
     * Writes rows (B, n, D) at tokens [t0, t0 + n); rows written before over that range are replaced. A
     * store may keep the tensor itself instead of a copy, and free it ({@link Backend#release}) once later
     * writes replace it or the store closes: the writer hands the rows over and may use them only until
     * then (model passes use them within the chunk that wrote them).
     */
    void write(int t0, Tensor rows);

    /** Reads tokens [t0, t0 + n) as (B, n, D): a copy, free for the caller to change. */
    Tensor read(int t0, int n);

    /**
     * Rows at positions pos[a..b) in that order: (B, b − a, D), a copy. The default reads each run of
     * consecutive positions at once and joins the runs on the host.
     */
    default Tensor gather(int[] pos, int a, int b) {
        if (b <= a) return read(0, 0);
        List<Tensor> parts = new ArrayList<>();
        int i = a;
        while (i < b) {
            int n = 1;
            while (i + n < b && pos[i + n] == pos[i] + n) n++;
            parts.add(read(pos[i], n));
            i += n;
        }
        return parts.size() == 1 ? parts.get(0) : Tensor.concatAxis1(parts);
    }

    /** Writes rows (B, b − a, D) to positions pos[a..b). The default writes each run of consecutive positions at once. */
    default void scatter(int[] pos, int a, int b, Tensor rows) {
        int i = a;
        while (i < b) {
            int n = 1;
            while (i + n < b && pos[i + n] == pos[i] + n) n++;
            write(pos[i], rows.sliceAxis1(i - a, i - a + n));
            i += n;
        }
    }

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

    /**
     * As {@link #open}, for passes that gather and scatter rows out of the store's order: on the device
     * a {@link RowIndexedStore} (one tensor, a chunk of scattered rows per call), else the same host store.
     */
    static TokenStore openIndexed(Backend be, int batch, int tokens, int width, long memoryBudgetBytes, Path spillDir,
                                  MemoryLedger ledger) {
        long bytes = 4L * batch * tokens * width;
        if (bytes > 0 && be.reserveDeviceStore(bytes)) return new RowIndexedStore(be, batch, tokens, width, bytes);
        return new SpillStore(batch, tokens, width, memoryBudgetBytes, spillDir, ledger);
    }
}
