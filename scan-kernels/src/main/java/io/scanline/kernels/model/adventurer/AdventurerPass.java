package io.scanline.kernels.model.adventurer;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.model.TokenStore;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * One Adventurer layer as one sweep (spec models §5.2, streaming §4.5). The scan sequence has L + 1
 * positions: position 0 is the heading-average token (its output is dropped), positions 1 … L are the
 * patches in raster order — reversed on flipped layers — and then the class token, always last.
 * Each finished token's new residual is written back in place, and RMSNorm of it under the next
 * layer's norm is summed in fp64 for the next layer's heading average.
 *
 * <p>Glossary: B images, M patches, L = M + 1 tokens (class last, index M), D width, E inner width,
 * N state size, H heads, P head dim, C = E + 2N conv channels.
 */
final class AdventurerPass {
    /**
     * Receives each finished chunk: tokens of the store in token order; chunks arrive in scan order. On a pass
     * that does not write the store, the rows are released after the call: a sink keeps copies, not them.
     */
    interface Sink {
        void accept(int t0, Tensor rows);
    }

    private final Backend be;
    private final AdventurerLayerWeights w;
    private final AdventurerFamily.Dims dims;
    private final boolean flip;
    private final int m, batch;
    private final SsdForm form;
    private final TokenStore store;
    private final Tensor average;        // (B, 1, D) heading average of this layer's normalized input
    private final Tensor nextNorm;       // (D) weight of the next layer's norm, or null for the last layer
    private final Sink sink;             // may be null
    private final AdventurerPassState state;
    private final boolean write;
    private int next = 0;

    AdventurerPass(Backend be, AdventurerLayerWeights w, AdventurerFamily.Dims dims, boolean flip, int m, int batch,
                   SsdForm form, TokenStore store, boolean write, Tensor average, Tensor nextNorm, Sink sink,
                   AdventurerPassState state) {
        this.be = be;
        this.w = w;
        this.dims = dims;
        this.flip = flip;
        this.m = m;
        this.batch = batch;
        this.form = form;
        this.store = store;
        this.write = write;
        this.average = average;
        this.nextNorm = nextNorm;
        this.sink = sink;
        this.state = state;
    }

    AdventurerPassState state() { return state; }

    /** A fresh pass object given a restored state continues at scan position {@code position}. */
    void resumeAt(int position) {
        if (next != 0 || position < 0 || position > m + 2) {
            throw new IllegalStateException("Adventurer pass: cannot resume at " + position + " (at " + next + ", L + 1 = " + (m + 2) + ")");
        }
        next = position;
    }

    /** Scan positions [a, b) of [0, L + 1); calls must cover the sequence in order. */
    void step(int a, int b) {
        int positions = m + 2;
        if (a != next || b < a || b > positions) {
            throw new IllegalArgumentException("Adventurer pass chunk [" + a + ", " + b + ") out of order (expected start "
                    + next + ", L + 1 = " + positions + ")");
        }
        if (a == b) return;
        next = b;
        int j0 = Math.max(a, 1) - 1, j1 = b - 1;     // scan token indices of this chunk
        Tensor s2;
        // the chunk's intermediates die with the scope (a device backend frees them at once instead of
        // asking the collector); only the rows written back outlive it, and they are written outside it,
        // because a store may keep slices it cuts while writing
        try (OpScope scope = be.opScope()) {
            Tensor sIn = j1 > j0 ? readScan(j0, j1) : null;
            Tensor u = sIn == null ? null : be.rmsNorm(sIn, w.norm(), dims.eps());
            Tensor x = a == 0 ? (u == null ? average : be.concatAxis1(List.of(average, u))) : u;
            Tensor y = mixer(x);
            if (sIn == null) return;
            if (a == 0) y = be.sliceAxis1(y, 1, y.dim(1));
            Tensor s1 = be.add(sIn, y);
            s2 = scope.keep(be.add(s1, swiglu(be.rmsNorm(s1, w.normMlp(), dims.eps()))));
            if (nextNorm != null) be.addSumAxis1(be.rmsNorm(s2, nextNorm, dims.eps()), state.sum);
        }
        writeScan(j0, j1, s2);
        be.release(s2);   // written as slices of it (copies): nothing reads it any more
    }

    private Tensor mixer(Tensor x) {
        int e = dims.e(), n = dims.n(), h = dims.h(), len = x.dim(1);
        Tensor zx = be.linear(x, w.inProj(), null);
        Tensor z = be.columns(zx, 0, e);
        Tensor xbc = be.causalConv1d(be.columns(zx, e, 2 * e + 2 * n), w.convW(), w.convB(), state.tail, true);
        Tensor dt = be.columns(zx, 2 * e + 2 * n, 2 * e + 2 * n + h);
        Tensor xs = be.columns(xbc, 0, e).reshape(batch, len, h, dims.p());
        Tensor bm = be.columns(xbc, e, e + n).reshape(batch, len, 1, n);
        Tensor cm = be.columns(xbc, e + n, e + 2 * n).reshape(batch, len, 1, n);
        Tensor y = be.ssd(form, AdventurerModel.SSD_CHUNK, xs, dt, w.a(), bm, cm, w.d(), w.dtBias(), true, state.ssm)
                .reshape(batch, len, e);
        y = be.gatedRmsNorm(y, z, w.gateNorm(), e, AdventurerModel.GATED_NORM_EPS);
        return be.linear(y, w.outProj(), null);
    }

    private Tensor swiglu(Tensor x) {
        Tensor g = be.mul(be.silu(be.linear(x, w.w1(), w.b1())), be.linear(x, w.w2(), w.b2()));
        return be.linear(g, w.w3(), w.b3());
    }

    /** Store rows of scan tokens [j0, j1) in scan order. */
    private Tensor readScan(int j0, int j1) {
        List<Tensor> parts = new ArrayList<>();
        int pe = Math.min(j1, m);
        if (pe > j0) {
            parts.add(flip ? be.flipAxis1(store.read(m - pe, pe - j0)) : store.read(j0, pe - j0));
        }
        if (j1 > m) parts.add(store.read(m, 1));
        return parts.size() == 1 ? parts.get(0) : be.concatAxis1(parts);
    }

    private void writeScan(int j0, int j1, Tensor rows) {
        int pe = Math.min(j1, m);
        if (pe > j0) {
            Tensor patches = be.sliceAxis1(rows, 0, pe - j0);
            Tensor ordered = flip ? be.flipAxis1(patches) : patches;
            if (flip) be.release(patches);
            int t0 = flip ? m - pe : j0;
            if (write) store.write(t0, ordered);
            if (sink != null) sink.accept(t0, ordered);
            if (!write) be.release(ordered);   // the sink took what it needs (the model's sink normalizes a copy)
        }
        if (j1 > m) {
            Tensor cls = be.sliceAxis1(rows, rows.dim(1) - 1, rows.dim(1));
            if (write) store.write(m, cls);
            if (sink != null) sink.accept(m, cls);
            if (!write) be.release(cls);
        }
    }
}
