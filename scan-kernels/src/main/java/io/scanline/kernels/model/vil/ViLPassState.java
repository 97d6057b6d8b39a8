package io.scanline.kernels.model.vil;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Carried state of one ViL pass for B images (spec streaming §3): mLSTM (C, n, m), fresh (0, 0, −∞)
 * at the start of every pass (D1), plus the causal conv tail (K−1 inputs, zeros) when the block uses
 * the conv1d. The grid conv needs none: its halo is recomputed from the store. Snapshot/restore copy
 * named tensors so the state can live in a keyed state backend between chunks.
 *
 * <p>Glossary: B images, NH heads, DH head dim, K conv width, E inner width.
 */
public final class ViLPassState {
    final Tensor c;      // (B, NH, DH, DH)
    final Tensor n;      // (B, NH, DH)
    final Tensor m;      // (B, NH)
    final Tensor tail;   // (B, K-1, E) or null

    private ViLPassState(Tensor c, Tensor n, Tensor m, Tensor tail) {
        this.c = c;
        this.n = n;
        this.m = m;
        this.tail = tail;
    }

    /** The fresh state: (0, 0, −∞) and a zero tail of convK − 1 rows (convK = 0: no conv tail). */
    public static ViLPassState fresh(int batch, int heads, int headDim, int convK, int inner) {
        Tensor m = Tensor.full(Float.NEGATIVE_INFINITY, batch, heads);
        Tensor tail = convK > 0 ? Tensor.zeros(batch, convK - 1, inner) : null;
        return new ViLPassState(Tensor.zeros(batch, heads, headDim, headDim), Tensor.zeros(batch, heads, headDim), m, tail);
    }

    /**
     * Back to the fresh state, set where {@code be} keeps states: a model reuses one state for all its passes,
     * so a GPU neither uploads nor re-allocates it per pass (an upload from host memory waits for the queued work).
     */
    public void reset(Backend be) {
        be.fillState(0f, c, n, tail);
        be.fillState(Float.NEGATIVE_INFINITY, m);
    }

    public long bytes() {
        return c.bytes() + n.bytes() + m.bytes() + (tail == null ? 0 : tail.bytes());
    }

    /** Copies of the state tensors under stable names. */
    public Map<String, Tensor> snapshot() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("mlstm.C", c.copy());
        out.put("mlstm.n", n.copy());
        out.put("mlstm.m", m.copy());
        if (tail != null) out.put("conv.tail", tail.copy());
        return out;
    }

    /** A state equal to a snapshot (which must hold every tensor, with shapes of a fresh state). */
    public static ViLPassState restore(Map<String, Tensor> snap) {
        Tensor c = need(snap, "mlstm.C"), n = need(snap, "mlstm.n"), m = need(snap, "mlstm.m");
        Tensor tail = snap.get("conv.tail");
        int b = c.dim(0), nh = c.dim(1), dh = c.dim(2);
        check(n, "mlstm.n", b, nh, dh);
        check(m, "mlstm.m", b, nh);
        return new ViLPassState(c.copy(), n.copy(), m.copy(), tail == null ? null : tail.copy());
    }

    private static Tensor need(Map<String, Tensor> snap, String key) {
        Tensor t = snap.get(key);
        if (t == null) throw new IllegalArgumentException("ViL pass state snapshot lacks '" + key + "'");
        return t;
    }

    private static void check(Tensor t, String key, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("ViL pass state '" + key + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
    }
}
