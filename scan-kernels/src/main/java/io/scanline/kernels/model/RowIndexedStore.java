package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;

/**
 * A {@link TokenStore} held as one (B, L, D) tensor of the backend (on a device backend: one device
 * buffer), read with {@link Backend#gatherAxis1} and written in place with {@link Backend#scatterAxis1}.
 * For passes that visit the tokens in another order than the store's (ARM's column scans): a chunk of
 * scattered rows is one call each way, where {@link ResidentStore} would cut single rows. Writes copy
 * the rows in. Opened through {@link TokenStore#openIndexed} only when the backend reserved room for
 * the whole store; released on close. Rows never written read as zeros.
 *
 * <p>Glossary: B images, L tokens, D width (floats per token row).
 */
final class RowIndexedStore implements TokenStore {
    private final Backend be;
    private final int batch, tokens, width;
    private final long reservedBytes;
    private Tensor rows;                 // (B, L, D), this store's alone; null once closed

    RowIndexedStore(Backend be, int batch, int tokens, int width, long reservedBytes) {
        this.be = be;
        this.batch = batch;
        this.tokens = tokens;
        this.width = width;
        this.reservedBytes = reservedBytes;
        this.rows = be.zeros(batch, tokens, width);
    }

    @Override
    public int tokens() { return tokens; }

    @Override
    public void write(int t0, Tensor in) {
        check(t0, in);
        scatter(range(t0, in.dim(1)), 0, in.dim(1), in);
    }

    @Override
    public Tensor read(int t0, int n) {
        requireOpen();
        if (t0 < 0 || n < 0 || t0 + n > tokens) {
            throw new IllegalArgumentException("token store (" + batch + ", " + tokens + ", " + width + ") read of [" + t0 + ", " + (t0 + n) + ")");
        }
        return be.sliceAxis1(rows, t0, t0 + n);
    }

    @Override
    public Tensor gather(int[] pos, int a, int b) {
        requireOpen();
        return be.gatherAxis1(rows, Arrays.copyOfRange(pos, a, b));
    }

    @Override
    public void scatter(int[] pos, int a, int b, Tensor in) {
        requireOpen();
        be.scatterAxis1(rows, Arrays.copyOfRange(pos, a, b), in);
    }

    private void requireOpen() {
        if (rows == null) throw new IllegalStateException("token store is closed");
    }

    private void check(int t0, Tensor in) {
        if (in.rank() != 3 || in.dim(0) != batch || in.dim(2) != width || t0 < 0 || t0 + in.dim(1) > tokens) {
            throw new IllegalArgumentException("token store (" + batch + ", " + tokens + ", " + width + ") write at " + t0
                    + " of rows " + Arrays.toString(in.shape()));
        }
    }

    private static int[] range(int t0, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = t0 + i;
        return p;
    }

    @Override
    public void close() {
        if (rows == null) return;
        be.release(rows);
        rows = null;
        be.releaseDeviceStore(reservedBytes);
    }
}
