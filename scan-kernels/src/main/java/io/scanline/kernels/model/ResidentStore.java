package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link TokenStore} that keeps the written rows as the backend's own tensors (on a device backend:
 * device-resident outputs), cut and joined with {@link Backend#sliceAxis1} / {@link Backend#concatAxis1},
 * so a pass's rows go from one op to the next without a host round trip. Opened through
 * {@link TokenStore#open} only when the backend reserved room for the whole store; released on close.
 * Rows never written read as zeros, as in {@link SpillStore}'s memory part. Written rows are kept, not
 * copied: a writer hands over rows it does not change afterwards (model passes write op outputs), and the
 * store releases them once replaced or closed, so a pass's earlier rows are not left to the collector.
 *
 * <p>Glossary: B images, L tokens, D width (floats per token row).
 */
final class ResidentStore implements TokenStore {
    private final Backend be;
    private final int batch, tokens, width;
    private final long reservedBytes;
    private final TreeMap<Integer, Tensor> pieces = new TreeMap<>(); // first token -> (B, n, D), disjoint
    private boolean closed;

    ResidentStore(Backend be, int batch, int tokens, int width, long reservedBytes) {
        this.be = be;
        this.batch = batch;
        this.tokens = tokens;
        this.width = width;
        this.reservedBytes = reservedBytes;
    }

    @Override
    public int tokens() { return tokens; }

    @Override
    public void write(int t0, Tensor rows) {
        int n = rows.rank() == 3 ? rows.dim(1) : -1;
        check(t0, n, rows.rank() == 3 ? rows.dim(0) : -1, rows.rank() == 3 ? rows.dim(2) : -1);
        if (n == 0) return;
        int t1 = t0 + n;
        // cut what the new rows cover out of the pieces that overlap them
        Integer first = pieces.floorKey(t0);
        Map<Integer, Tensor> over = new TreeMap<>(pieces.subMap(first == null ? t0 : first, true, t1, false));
        for (Map.Entry<Integer, Tensor> e : over.entrySet()) {
            int s = e.getKey();
            Tensor p = e.getValue();
            int end = s + p.dim(1);
            if (end <= t0) continue;
            pieces.remove(s);
            if (s < t0) pieces.put(s, be.sliceAxis1(p, 0, t0 - s));
            if (end > t1) pieces.put(t1, be.sliceAxis1(p, t1 - s, end - s));
            if (p != rows && (p.deferred() == null || p.deferred() != rows.deferred())) be.release(p);  // not the rows again
        }
        pieces.put(t0, rows);
    }

    @Override
    public Tensor read(int t0, int n) {
        check(t0, n, batch, width);
        if (n == 0) return Tensor.zeros(batch, 0, width);
        int t1 = t0 + n;
        List<Tensor> parts = new ArrayList<>();
        int at = t0;
        Integer first = pieces.floorKey(t0);
        for (Map.Entry<Integer, Tensor> e : pieces.subMap(first == null ? t0 : first, true, t1, false).entrySet()) {
            int s = e.getKey();
            Tensor p = e.getValue();
            int end = s + p.dim(1);
            if (end <= at) continue;
            if (s > at) parts.add(Tensor.zeros(batch, s - at, width));
            int from = Math.max(at, s), to = Math.min(t1, end);
            parts.add(be.sliceAxis1(p, from - s, to - s)); // a copy even when whole: callers may change what they read
            at = to;
        }
        if (at < t1) parts.add(Tensor.zeros(batch, t1 - at, width));
        return parts.size() == 1 ? parts.get(0) : be.concatAxis1(parts);
    }

    private void check(int t0, int n, int b, int d) {
        if (closed) throw new IllegalStateException("token store is closed");
        if (t0 < 0 || n < 0 || t0 + n > tokens || b != batch || d != width) {
            throw new IllegalArgumentException("token store (" + batch + ", " + tokens + ", " + width + ") access at ["
                    + t0 + ", " + (t0 + n) + ") with rows (" + b + ", n, " + d + ")");
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        be.release(pieces.values().toArray(new Tensor[0]));
        pieces.clear();
        be.releaseDeviceStore(reservedBytes);
    }
}
