package io.scanline.kernels.model.vil;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.model.TokenStore;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * One ViL block run as one sweep over the residual stream (spec streaming §4.2/§4.3), chunk by chunk
 * in scan order: forward (top-left) or reverse (bottom-right, the whole sequence reversed, D6).
 *
 * <p>Everything here works in <em>scan coordinates</em>: scan position p is token p (forward) or
 * token S−1−p (reverse), and scan row r is grid row r or Hp−1−r read right to left. The reversed
 * sequence viewed as an Hp×Wp grid is the image rotated by 180°, so the grid conv uses the stored kernel
 * unchanged in scan coordinates (ops §7.2).
 *
 * <p>The grid conv of scan row r needs x_m of rows r−1 … r+1: a window of scan rows is kept, each with
 * its input residual, x_m and z computed once (LN, proj_up) when first needed. Output is written back
 * in place once a chunk is done; no row is ever needed again after its tokens are overwritten because
 * the window only moves forward and keeps the row behind the current one (checked, not assumed).
 * Window rows outlive their chunk, so they are made outside the chunk's op scope and released
 * ({@link Backend#release}) when the window moves past them.
 *
 * <p>Glossary: B images, S = Hp·Wp tokens, D width, E = 2D inner width, NH = 4 heads, DH = E/NH.
 */
final class ViLPass {
    /** The pass input: residual stream of grid rows [r0, r1) in token order, (B, (r1 − r0)·Wp, D). */
    interface Rows {
        Tensor rows(int r0, int r1);
    }

    /** Receives each finished chunk in token order: tokens [t0, t0 + n) as (B, n, D). */
    interface Sink {
        void accept(int t0, Tensor rows);
    }

    private static final double BLOCK_EPS = 1e-5, OUTNORM_EPS = 1e-5, MLSTM_EPS = 1e-6;

    private final Backend be;
    private final ViLBlockWeights w;
    private final boolean reverse;
    private final int hp, wp, batch, e, dh;
    private final MlstmForm form;
    private final int mlstmChunk;
    private final Rows input;
    private final TokenStore out;      // null: nothing written back (the last pass)
    private final Sink sink;           // may be null
    private final ViLPassState state;
    private final TreeMap<Integer, ScanRow> window = new TreeMap<>();
    private int evictedBelow = 0;      // scan rows < this were dropped and must never be reloaded
    private int next = 0;              // next scan position expected

    /**
     * Scan rows [r0, r0 + k) computed by one call, fields (B, k·Wp, ·) in scan order: in, x_m, z of rows
     * loaded together, or act of rows one grid conv produced together (a block may hold both). Chunks
     * read a run of rows of one block as one slice of it, or the block itself when they cover it
     * exactly: per-row pieces would be a slice and a join per row and field (on a device backend they
     * stay there, but each is a call).
     */
    private static final class Block {
        final int k;
        final Tensor in, xm, z;
        Tensor act;

        Block(int k, Tensor in, Tensor xm, Tensor z) {
            this.k = k;
            this.in = in;
            this.xm = xm;
            this.z = z;
        }

        Tensor field(int f) {
            return switch (f) {
                case 0 -> in;
                case 1 -> xm;
                case 2 -> z;
                default -> act;
            };
        }
    }

    /** One scan row of the window: its own fields, or row i of a block (and row ai of the block ab holding its act). */
    private final class ScanRow {
        final Block blk;     // null: loaded alone
        final int i;
        Block ab;            // block whose act holds this row's (null: own act, or none yet)
        int ai;
        private Tensor in, xm, z;   // (B, Wp, D), (B, Wp, E), (B, Wp, E), scan order, sliced when first needed
        private Tensor act;          // silu(grid conv) of this row

        ScanRow(Block blk, int i) {
            this.blk = blk;
            this.i = i;
        }

        ScanRow(Tensor in, Tensor xm, Tensor z) {
            this(null, 0);
            this.in = in;
            this.xm = xm;
            this.z = z;
        }

        Tensor in() { return in != null ? in : (in = part(blk.in, i)); }

        Tensor xm() { return xm != null ? xm : (xm = part(blk.xm, i)); }

        Tensor z() { return z != null ? z : (z = part(blk.z, i)); }

        boolean hasAct() { return act != null || ab != null; }

        Tensor act() { return act != null || ab == null ? act : (act = part(ab.act, ai)); }

        /** The block holding field f of this row and the row's index in it, or null. */
        Block source(int f) { return f == 3 ? ab : blk; }

        int index(int f) { return f == 3 ? ai : i; }

        private Tensor part(Tensor t, int j) { return be.sliceAxis1(t, j * wp, (j + 1) * wp); }
    }

    ViLPass(Backend be, ViLBlockWeights w, boolean reverse, int hp, int wp, int batch, MlstmForm form, int mlstmChunk,
            Rows input, TokenStore out, Sink sink, ViLPassState state) {
        this.be = be;
        this.w = w;
        this.reverse = reverse;
        this.hp = hp;
        this.wp = wp;
        this.batch = batch;
        this.e = w.inner();
        this.dh = e / ViLBlockWeights.HEADS;
        this.form = form;
        this.mlstmChunk = mlstmChunk;
        this.input = input;
        this.out = out;
        this.sink = sink;
        this.state = state;
    }

    /** Processes scan positions [a, b); calls must cover the sequence in order, without gaps. */
    void step(int a, int b) {
        int s = hp * wp;
        if (a != next || b < a || b > s) {
            throw new IllegalArgumentException("ViL pass chunk [" + a + ", " + b + ") out of order (expected start " + next + ", S = " + s + ")");
        }
        if (a == b) return;
        next = b;
        int r0 = a / wp, r1 = (b - 1) / wp;
        boolean grid = w.conv2d() != null;
        evictBelow(grid ? r0 - 1 : r0);
        // window rows outlive the chunk: made before the scope, released when evicted
        loadRows(r0, grid ? Math.min(hp - 1, r1 + 1) : r1);
        if (grid) convRows(r0, r1);

        Tensor res;
        // the chunk's intermediates (the gathers of window rows included) die with the scope (a device
        // backend frees them at once instead of asking the collector); the output rows are kept and written outside it
        try (OpScope scope = be.opScope()) {
            Tensor in = gather(a, b, 0), xm = gather(a, b, 1), z = gather(a, b, 2);
            Tensor act = grid ? gather(a, b, 3) : be.causalConv1d(xm, w.conv1d(), w.convB(), state.tail, true);
            int n = b - a, nh = ViLBlockWeights.HEADS;
            Tensor q = be.headwiseLinear(act, w.qW(), w.qB());
            Tensor k = be.headwiseLinear(act, w.kW(), w.kB());
            Tensor v = be.headwiseLinear(xm, w.vW(), w.vB());
            // gates of [q | k | v], as a sum over the three parts of the weight (no concatenation)
            Tensor igf = be.add(be.add(be.linear(q, w.gateQ(), w.gateB()), be.linear(k, w.gateK(), null)), be.linear(v, w.gateV(), null));
            Tensor ig = be.columns(igf, 0, nh), fg = be.columns(igf, nh, 2 * nh);
            Tensor h = be.mlstm(form, mlstmChunk, q.reshape(batch, n, nh, dh), k.reshape(batch, n, nh, dh),
                    v.reshape(batch, n, nh, dh), ig, fg, state.c, state.n, state.m, MLSTM_EPS).reshape(batch, n, e);
            h = be.groupLayerNorm(h, dh, w.outGamma(), w.outBeta(), OUTNORM_EPS);
            Tensor o = be.mul(be.add(h, be.mulChannels(act, w.skip())), be.silu(z));
            res = scope.keep(be.add(in, be.linear(o, w.downW(), w.downB())));
        }
        if (next == s) evictBelow(hp);    // the pass is done: nothing reads its window any more

        Tensor rows = reverse ? be.flipAxis1(res) : res;
        if (reverse) be.release(res);
        int t0 = reverse ? s - b : a;
        if (out != null) out.write(t0, rows);
        if (sink != null) sink.accept(t0, rows);
    }

    /**
     * Columns of field f (0 in, 1 x_m, 2 z, 3 conv activation) for scan positions [a, b): each run of
     * rows held by one block is one slice of it (the block itself when the run is all of it).
     */
    private Tensor gather(int a, int b, int f) {
        List<Tensor> parts = new ArrayList<>();
        for (int p = a; p < b; ) {
            int r = p / wp, c0 = p % wp;
            ScanRow row = load(r);
            if (f == 3 && !row.hasAct()) throw new IllegalStateException("ViL pass: scan row " + r + " has no conv activation yet");
            Block src = row.source(f);
            if (src != null && src.field(f) != null) {
                int j0 = row.index(f), rows = 1;                       // rows of src from j0 this run covers
                while (j0 + rows < src.k && (r + rows) * wp < b && sameSource(r + rows, f, src, j0 + rows)) rows++;
                int from = j0 * wp + c0, to = Math.min((j0 + rows) * wp, j0 * wp + c0 + (b - p));
                Tensor t = src.field(f);
                parts.add(from == 0 && to == src.k * wp ? t : be.sliceAxis1(t, from, to));
                p += to - from;
                continue;
            }
            int c1 = Math.min(wp, c0 + (b - p));
            Tensor t = field(r, f);
            parts.add(c0 == 0 && c1 == wp ? t : be.sliceAxis1(t, c0, c1));
            p += c1 - c0;
        }
        return parts.size() == 1 ? parts.get(0) : be.concatAxis1(parts);
    }

    private boolean sameSource(int r, int f, Block src, int j) {
        ScanRow row = window.get(r);
        return row != null && row.source(f) == src && row.index(f) == j;
    }

    private Tensor field(int r, int f) {
        ScanRow row = load(r);
        return switch (f) {
            case 0 -> row.in();
            case 1 -> row.xm();
            case 2 -> row.z();
            default -> row.act();
        };
    }

    /**
     * Puts every scan row of [lo, hi] that is not in the window yet into it as one block, with one LN
     * and proj_up over all of them: per row, the calls saw Wp tokens each (14 at 224²), and their fixed
     * cost was most of a ViL forward's linear time on the djl backend.
     */
    private void loadRows(int lo, int hi) {
        List<Integer> missing = new ArrayList<>();
        for (int r = lo; r <= hi; r++) {
            if (window.containsKey(r)) continue;
            if (r < evictedBelow) load(r);   // throws: the row was overwritten in place
            missing.add(r);
        }
        if (missing.size() < 2) {
            for (int r : missing) load(r);
            return;
        }
        int m0 = missing.get(0), k = missing.size();
        if (missing.get(k - 1) != m0 + k - 1) {                  // not one run of rows (never seen; kept simple)
            for (int r : missing) load(r);
            return;
        }
        Block blk;
        try (OpScope scope = be.opScope()) {
            // scan rows m0 … m0 + k − 1 are grid rows m0 … (forward) or hp − m0 − k … hp − m0 − 1 reversed
            Tensor in = reverse ? be.flipAxis1(input.rows(hp - m0 - k, hp - m0)) : input.rows(m0, m0 + k);
            Tensor hn = norm(in);
            blk = new Block(k, scope.keep(in), scope.keep(be.linear(hn, w.xmW(), w.xmB())), scope.keep(be.linear(hn, w.zW(), w.zB())));
        }
        for (int i = 0; i < k; i++) window.put(m0 + i, new ScanRow(blk, i));
    }

    /**
     * The conv activations of scan rows [r0, r1] that lack one, from one 3×3 conv over the slab of rows
     * around them and one silu (rows before the first missing one were done by the previous chunk).
     */
    private void convRows(int r0, int r1) {
        int first = r0;
        while (first <= r1 && load(first).hasAct()) first++;
        if (first > r1) return;
        int lo = Math.max(0, first - 1), hi = Math.min(hp - 1, r1 + 1);
        ScanRow head = load(first);
        Block own = lo == first && hi == r1 && head.blk != null && head.i == 0 && head.blk.k == hi - lo + 1 ? head.blk : null;
        Block ab = own != null ? own : new Block(r1 - first + 1, null, null, null);
        int from = first;
        ab.act = keptOne(() -> {
            Tensor y = convSlab(lo, hi);
            return be.silu(own != null ? y : be.sliceAxis1(y, (from - lo) * wp, (r1 - lo + 1) * wp));
        });
        for (int r = first; r <= r1; r++) {
            ScanRow row = load(r);
            row.ab = ab;
            row.ai = r - first;
        }
    }

    /** 3×3 conv of x_m over scan rows [lo, hi] (zeros outside the grid), (B, (hi − lo + 1)·Wp, E). */
    private Tensor convSlab(int lo, int hi) {
        int rows = hi - lo + 1;
        Tensor x = gather(lo * wp, (hi + 1) * wp, 1).reshape(batch, rows, wp, e);
        return be.depthwiseConv2d3x3(x, w.conv2d(), w.convB()).reshape(batch, rows * wp, e);
    }

    /** The tensor {@code make} returns, its intermediates freed at once (an op scope around it). */
    private Tensor keptOne(Supplier<Tensor> make) {
        try (OpScope scope = be.opScope()) {
            return scope.keep(make.get());
        }
    }

    private ScanRow load(int r) {
        ScanRow row = window.get(r);
        if (row != null) return row;
        if (r < evictedBelow) {
            throw new IllegalStateException("ViL pass: scan row " + r + " was already overwritten in place (window starts at " + evictedBelow + ")");
        }
        int g = reverse ? hp - 1 - r : r;
        return windowRow(r, keptOne(() -> reverse ? be.flipAxis1(input.rows(g, g + 1)) : input.rows(g, g + 1)));
    }

    /** Puts scan row r with input {@code in} (scan order) into the window, with its x_m and z. */
    private ScanRow windowRow(int r, Tensor in) {
        ScanRow row;
        try (OpScope scope = be.opScope()) {
            Tensor hn = norm(in);
            row = new ScanRow(in, scope.keep(be.linear(hn, w.xmW(), w.xmB())), scope.keep(be.linear(hn, w.zW(), w.zB())));
        }
        window.put(r, row);
        return row;
    }

    /** The block's LayerNorm of input rows (B, n, D); proj_up's halves x_m and z are applied to it. */
    private Tensor norm(Tensor in) {
        return be.layerNorm(in, w.normGamma(), w.normBeta(), BLOCK_EPS);
    }

    ViLPassState state() { return state; }

    /**
     * What a fresh pass object needs to continue after the last chunk: the carried state, the position,
     * and the input rows of the window. Those rows are part of the state because the pass rewrites the
     * store in place: the current row and the grid conv's row behind it may already hold outputs there.
     * At most three rows, (B, Wp, D) each.
     */
    Map<String, Tensor> snapshot() {
        Map<String, Tensor> out = new LinkedHashMap<>(state.snapshot());
        out.put("pass.position", Tensor.of(new double[] {next, evictedBelow}, 2));
        for (Map.Entry<Integer, ScanRow> e : window.entrySet()) out.put("window.in." + e.getKey(), e.getValue().in().copy());
        return out;
    }

    /** Continues a pass from {@link #snapshot()} on this fresh pass object (built with the snapshot's state). */
    void resume(Map<String, Tensor> snap) {
        Tensor pos = snap.get("pass.position");
        if (next != 0 || !window.isEmpty() || pos == null || pos.numel() != 2) {
            throw new IllegalStateException("ViL pass: resume needs a fresh pass and a snapshot with pass.position");
        }
        next = (int) pos.getDouble(0);
        evictedBelow = (int) pos.getDouble(1);
        for (Map.Entry<String, Tensor> e : snap.entrySet()) {
            if (e.getKey().startsWith("window.in.")) {
                windowRow(Integer.parseInt(e.getKey().substring("window.in.".length())), e.getValue().toF32());
            }
        }
    }

    /**
     * Drops the window rows below scan row r and releases their device data: a row's own fields at once,
     * a block's once no row left in the window refers to it (the collector would find them only late,
     * and each collection it is asked for pauses the pass).
     */
    private void evictBelow(int r) {
        if (r <= evictedBelow) return;
        Map<Integer, ScanRow> gone = window.headMap(r);
        Set<Block> blocks = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ScanRow row : gone.values()) {
            be.release(row.in, row.xm, row.z, row.act);
            if (row.blk != null) blocks.add(row.blk);
            if (row.ab != null) blocks.add(row.ab);
        }
        gone.clear();
        evictedBelow = r;
        for (ScanRow row : window.values()) {
            blocks.remove(row.blk);
            blocks.remove(row.ab);
        }
        for (Block blk : blocks) be.release(blk.in, blk.xm, blk.z, blk.act);
    }
}
