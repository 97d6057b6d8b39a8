package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.backend.OpDims;
import io.scanline.kernels.backend.Shapes;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.HostMirror;
import io.scanline.kernels.tensor.Tensor;

import java.util.List;

/**
 * The {@link Backend} ops on a CUDA GPU, fp32 throughout (states fp32, reductions fp32). The opt-in
 * {@link Precision#BF16} mode changes {@code linear} and the chunkwise mLSTM's matrix products: bf16
 * operands on tensor cores with fp32 accumulation (see {@link Precision}); every other op, the states
 * and the residual stream stay fp32.
 *
 * <p>Glossary as in {@link Backend}: B batch (images), L tokens, E/C channels, N state size, K conv
 * width, H/P/G Mamba-2 heads/head dim/groups, NH/DH mLSTM heads/head dim.
 *
 * <p>Activations stay on the GPU (default, {@code resident=true}): every op returns a tensor whose
 * data is a device buffer ({@link ResidentTensors}: downloaded on the first host read, freed then or
 * when unreachable), and an op given such a tensor reads the buffer in place. So a chain of ops has no
 * host round trip; only host code that reads a tensor (slicing, a token sink) pulls it down;
 * {@link #concatAxis1} joins on the device. With {@code resident=false} every call downloads its output (the former behaviour, kept for
 * comparison). Recurrent state tensors (conv tail, h, SSD state, C/n/m) stay on the GPU too
 * ({@link DeviceStates}): the first op on a state uploads it, later ops update that copy in place, and
 * only a host read of the tensor (a checkpoint) pulls it down, so a chunked pass has no host round trip
 * for its state either; with {@code resident=false} states are uploaded and written back per call. Weights (w, biases, A, D,
 * gains, RoPE frequencies) are uploaded once per backend instance ({@link WeightCache}).
 *
 * <p>Forms: every {@link SsdForm} runs the chunk-parallel recurrence of {@link CudaOps#ssd}, and
 * every {@link MlstmForm} the chunkwise kernels (with {@code chunk} as the inner chunk for
 * CHUNKWISE, 64 otherwise): the forms are equal in exact arithmetic (spec ops §9.2, §10.3/10.4) and
 * the results agree with the reference forms to fp32 rounding.
 */
public final class CudaBackend implements Backend {
    public static final String NAME = "cuda";
    private static final int DEFAULT_MLSTM_CHUNK = 64;

    private final CudaContext ctx;
    private final CudaOps ops;
    private final WeightCache weights;
    private final ResidentTensors resident; // null when outputs go back to the host per call
    private DeviceStates states;            // null when states go back to the host per call
    private final Precision precision;
    private long storeBudget;    // bytes of barrier stores kept on the device (0: none)
    private long storeReserved;

    public CudaBackend(CudaContext ctx, long weightCacheBytes) {
        this(ctx, weightCacheBytes, true, 4L << 30);
    }

    /**
     * @param residentOutputs keep op outputs on the GPU (see the class comment)
     * @param residentBudget  resident bytes above which a collection is requested before allocating
     */
    public CudaBackend(CudaContext ctx, long weightCacheBytes, boolean residentOutputs, long residentBudget) {
        this(ctx, weightCacheBytes, residentOutputs, residentBudget, Precision.FP32);
    }

    /** @param precision FP32 (default) or the opt-in BF16 mode of {@code linear} */
    public CudaBackend(CudaContext ctx, long weightCacheBytes, boolean residentOutputs, long residentBudget,
                       Precision precision) {
        if (precision == null) throw new IllegalArgumentException("precision must not be null");
        this.precision = precision;
        this.ctx = ctx;
        this.ops = new CudaOps(ctx);
        this.weights = new WeightCache(ctx, weightCacheBytes);
        this.resident = residentOutputs ? new ResidentTensors(this, residentBudget) : null;
        this.states = residentOutputs ? new DeviceStates(this, ctx) : null;
        this.storeBudget = residentOutputs ? residentBudget / 2 : 0;
    }

    /**
     * Bytes of barrier stores ({@link #reserveDeviceStore}) the backend keeps on the device; default half
     * the resident budget, so that a pass's own outputs keep the other half. Needs resident outputs.
     */
    public synchronized void setStoreBudget(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("store budget " + bytes);
        storeBudget = resident == null ? 0 : bytes;
    }

    /** Device room for a barrier store: granted while the stores stay within the store budget. */
    @Override
    public synchronized boolean reserveDeviceStore(long bytes) {
        if (bytes < 0 || resident == null || storeReserved + bytes > storeBudget) return false;
        storeReserved += bytes;
        return true;
    }

    @Override
    public synchronized void releaseDeviceStore(long bytes) {
        storeReserved = Math.max(0, storeReserved - bytes);
    }

    /** Bytes of barrier stores now granted on the device. */
    public synchronized long storeReserved() { return storeReserved; }

    public boolean residentOutputs() { return resident != null; }

    public Precision precision() { return precision; }

    /** Bytes of op outputs now held on the GPU (0 when not resident). */
    public synchronized long residentBytes() { return resident == null ? 0 : resident.liveBytes(); }

    /**
     * Keeps carried state on the GPU between op calls (default, needs resident outputs) or moves it per
     * call (off: every state held now is pulled back to its host array first).
     */
    public synchronized void setDeviceStates(boolean on) {
        if (on && states == null && resident != null) states = new DeviceStates(this, ctx);
        if (!on && states != null) {
            states.close();
            states = null;
        }
    }

    public synchronized boolean deviceStates() { return states != null; }

    /** Bytes of carried state now held on the GPU, and how many state tensors (0 when not resident). */
    public synchronized long stateBytes() { return states == null ? 0 : states.bytes(); }

    public synchronized int stateCount() { return states == null ? 0 : states.count(); }

    /** State tensors uploaded so far (a first use, or a use after a host read pulled the copy down). */
    public synchronized long stateUploads() { return states == null ? 0 : states.uploads(); }

    /** State copies pulled to the host so far (host reads of state tensors). */
    public synchronized long statePulls() { return states == null ? 0 : states.pulls(); }

    /** Collections requested because resident outputs passed the budget. */
    public synchronized long residentGcRequests() { return resident == null ? 0 : resident.gcRequests(); }

    /** Resident bytes above which a collection is requested now: the budget, or higher where a step's live outputs passed it. */
    public synchronized long residentCollectThreshold() { return resident == null ? 0 : resident.collectThreshold(); }

    @Override
    public String name() { return NAME; }

    public CudaContext context() { return ctx; }

    /** Device-level ops (for tests that force kernel parameters, and for benchmarks). */
    public CudaOps ops() { return ops; }

    int cachedWeights() { return weights.size(); }

    long weightUploads() { return weights.uploads(); }

    /** A constant operand: one of our resident tensors in place, else the weight cache's copy. */
    private DeviceBuffer w(Tensor t) {
        DeviceBuffer own = resident == null ? null : resident.bufferOf(t);
        return own != null ? own : weights.get(t);
    }

    /** bf16 copy of a weight: cached once, or converted into the call's scope for one of our resident tensors. */
    private DeviceBuffer wBf16(DeviceScope s, Tensor t) {
        DeviceBuffer own = resident == null ? null : resident.bufferOf(t);
        if (own == null) return weights.getBf16(t, ops);
        DeviceBuffer bf = s.alloc(2L * t.numel());
        ops.toBf16(own, bf, t.numel());
        return bf;
    }

    /** An activation operand: one of our resident tensors in place, else uploaded into the call's scope. */
    private DeviceBuffer in(DeviceScope s, Tensor t) {
        if (t == null) return null;
        DeviceBuffer own = resident == null ? null : resident.bufferOf(t);
        return own != null ? own : s.upload(t);
    }

    /**
     * Starts an op call: frees the copies of unreachable states and unreachable resident outputs, makes
     * room for {@code outFloats} more. State copies count toward the resident budget, so that the states
     * of finished images, which nothing reads any more, are found by the same collections.
     */
    private void begin(long outFloats) {
        weights.beginCall();
        if (states != null) states.drain();
        if (resident != null) resident.reclaim(4L * outFloats + (states == null ? 0 : states.bytes()));
    }

    /** The call's result: resident (the buffer leaves the scope) or downloaded. */
    private Tensor out(DeviceScope s, DeviceBuffer y, int... shape) {
        if (resident != null) return resident.wrap(s.keep(y), shape);
        float[] h = new float[Tensor.checkedNumel(shape)];
        y.download(h);
        return Tensor.of(h, shape);
    }

    private static void copyBack(DeviceBuffer src, Tensor dst) { src.download(dst.f32()); }

    /** A state operand: its device copy (updated in place) when states stay here, else uploaded into the scope. */
    private DeviceBuffer stateIn(DeviceScope s, Tensor t) {
        if (states != null && HostMirror.canMirror(t) && t.numel() > 0) return states.of(t);
        return s.upload(t);
    }

    /**
     * After the op: the final state, in {@code result} ({@code held} itself for ops that update it in
     * place), becomes t's device copy when {@code held} is one, else is written back into t.
     */
    private void stateOut(DeviceScope s, DeviceBuffer held, DeviceBuffer result, Tensor t) {
        if (states == null || !states.holds(t, held)) copyBack(result, t);
        else if (result != held) states.replace(t, s.keep(result));
    }

    // ------------------------------------------------------------------ recurrent ops

    @Override
    public synchronized Tensor causalConv1d(Tensor x, Tensor wt, Tensor bias, Tensor tail, boolean silu) {
        Shapes.requireRank(x, "x", 3);
        int b = x.dim(0), l = x.dim(1), c = x.dim(2);
        Shapes.require(wt, "w", c, -1);
        int k = wt.dim(1);
        if (k < 1) throw new IllegalArgumentException("conv width must be >= 1");
        Shapes.requireOptional(bias, "bias", c);
        Shapes.require(tail, "tail", b, k - 1, c);
        begin((long) b * l * c);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dx = in(s, x), dt = stateIn(s, tail), nt = s.floats(tail.numel()), dy = s.floats((long) b * l * c);
            ops.causalConv1d(dx, w(wt), w(bias), dt, nt, dy, b, l, c, k, silu);
            stateOut(s, dt, nt, tail);
            return out(s, dy, b, l, c);
        }
    }

    @Override
    public synchronized Tensor selectiveScan(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                                             Tensor deltaBias, boolean softplus, Tensor h) {
        OpDims.Scan dims = OpDims.Scan.of(u, delta, a, bm, cm, d, z, deltaBias, h);
        int b = dims.b(), l = dims.l(), e = dims.e(), n = dims.n();
        begin(u.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dh = stateIn(s, h), dy = s.floats(u.numel());
            ops.selectiveScan(in(s, u), in(s, delta), w(a), in(s, bm), in(s, cm), w(d), in(s, z),
                    w(deltaBias), softplus, dh, dy, b, l, e, n);
            stateOut(s, dh, dh, h);
            return out(s, dy, b, l, e);
        }
    }

    @Override
    public synchronized Tensor ssd(SsdForm form, int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d,
                                   Tensor dtBias, boolean softplus, Tensor state) {
        if (form == SsdForm.CHUNKED && chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        OpDims.Ssd dims = OpDims.Ssd.of(x, dt, a, bm, cm, d, dtBias, state);
        int b = dims.b(), l = dims.l(), hh = dims.heads(), p = dims.p(), g = dims.g(), n = dims.n();
        begin(x.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer ds = stateIn(s, state), dy = s.floats(x.numel());
            ops.ssd(in(s, x), in(s, dt), w(a), in(s, bm), in(s, cm), w(d), w(dtBias), softplus, ds, dy,
                    b, l, hh, p, g, n);
            stateOut(s, ds, ds, state);
            return out(s, dy, x.shape());
        }
    }

    @Override
    public synchronized Tensor mlstm(MlstmForm form, int chunk, Tensor q, Tensor k, Tensor v, Tensor ig, Tensor fg,
                                     Tensor c, Tensor n, Tensor m, double eps) {
        if (form == MlstmForm.CHUNKWISE && chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        OpDims.Mlstm dims = OpDims.Mlstm.of(q, k, v, ig, fg, c, n, m);
        int b = dims.b(), l = dims.l(), nh = dims.nh(), dh = dims.dh();
        int qc = form == MlstmForm.CHUNKWISE ? chunk : DEFAULT_MLSTM_CHUNK;
        begin(q.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dc = stateIn(s, c), dn = stateIn(s, n), dm = stateIn(s, m), dhb = s.floats(q.numel());
            if (precision == Precision.BF16 && dh % 16 == 0) {
                ops.mlstmBf16(qc, in(s, q), in(s, k), in(s, v), in(s, ig), in(s, fg), dc, dn, dm, dhb, b, l, nh, dh, eps);
            } else {
                ops.mlstm(qc, in(s, q), in(s, k), in(s, v), in(s, ig), in(s, fg), dc, dn, dm, dhb, b, l, nh, dh, eps);
            }
            stateOut(s, dc, dc, c);
            stateOut(s, dn, dn, n);
            stateOut(s, dm, dm, m);
            return out(s, dhb, b, l, nh, dh);
        }
    }

    /** Outputs made inside are freed when the scope closes unless kept (needs resident outputs, else {@link OpScope#NONE}). */
    @Override
    public synchronized OpScope opScope() {
        if (resident == null) return OpScope.NONE;
        java.util.List<ResidentTensors.Resident> made = resident.openScope();
        return new OpScope() {
            private boolean closed;

            @Override
            public Tensor keep(Tensor t) {
                synchronized (CudaBackend.this) {
                    if (!closed) resident.keep(made, t);
                }
                return t;
            }

            @Override
            public void close() {
                synchronized (CudaBackend.this) {
                    if (closed) return;
                    closed = true;
                    resident.closeScope(made);
                }
            }
        };
    }

    /** Device-held states are filled on the device (attached first when new): no upload, no wait for queued work. */
    @Override
    public synchronized void fillState(float value, Tensor... ts) {
        if (states != null) begin(0);
        for (Tensor t : ts) {
            if (states != null && HostMirror.canMirror(t) && t.numel() > 0) states.fill(t, value);
            else Backend.super.fillState(value, t);
        }
    }

    @Override
    public synchronized void release(Tensor... ts) {
        if (resident == null) return;
        for (Tensor t : ts) resident.release(t);
    }

    /** Joins the device copies of the states (uploading those without one) into a new device-held state. */
    @Override
    public synchronized Tensor stackStates(List<Tensor> parts) {
        Backend.requireStackable(parts);
        Tensor first = parts.get(0);
        boolean device = states != null && first.numel() > 0;
        for (Tensor p : parts) device &= HostMirror.canMirror(p) && p.dtype() == DType.F32;
        if (!device) return Backend.super.stackStates(parts);
        begin(0);
        long per = 4L * first.numel();
        DeviceBuffer y = ctx.alloc(per * parts.size());
        try {
            for (int i = 0; i < parts.size(); i++) y.copyFrom(states.of(parts.get(i)), 0, i * per, per);
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
        int[] shape = first.shape();
        shape[0] = parts.size();
        return states.wrap(y, shape);
    }

    /** Copies the rows of a device-held stacked state into the states' device copies, then drops it. */
    @Override
    public synchronized void unstackStates(Tensor stacked, List<Tensor> parts) {
        DeviceBuffer src = states == null ? null : states.bufferOf(stacked);
        long per = 4L * parts.get(0).numel();
        boolean device = src != null && src.bytes() == per * parts.size();
        for (Tensor p : parts) device &= HostMirror.canMirror(p) && p.dtype() == DType.F32 && 4L * p.numel() == per;
        if (!device) {
            Backend.super.unstackStates(stacked, parts);
            return;
        }
        begin(0);
        for (int i = 0; i < parts.size(); i++) states.of(parts.get(i)).copyFrom(src, i * per, 0, per);
        states.discard(stacked);
    }

    /** On the device when outputs are resident: parts of ours are read in place, host parts uploaded. */
    @Override
    public synchronized Tensor concatAxis1(List<Tensor> parts) {
        if (resident == null || parts.isEmpty() || parts.get(0).dtype() != DType.F32) return Tensor.concatAxis1(parts);
        Tensor first = parts.get(0);
        int[] shape = first.shape().clone();
        long inner = Tensor.perPosition(shape);
        int total = 0;
        for (Tensor p : parts) {
            if (p.rank() != shape.length || p.dtype() != DType.F32 || p.dim(0) != shape[0]) {
                throw new IllegalArgumentException("concat: parts differ in rank, dtype or batch: " + first + " vs " + p);
            }
            for (int i = 2; i < shape.length; i++) {
                if (p.dim(i) != shape[i]) throw new IllegalArgumentException("concat: parts differ beyond axis 1: " + first + " vs " + p);
            }
            total += p.dim(1);
        }
        shape[1] = total;
        int b = shape[0];
        begin((long) b * total * inner);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer y = s.floats((long) b * total * inner);
            long offset = 0;
            for (Tensor p : parts) {
                long rows = p.dim(1) * inner;
                if (rows > 0) {
                    DeviceBuffer src = in(s, p);
                    for (int bi = 0; bi < b; bi++) {
                        y.copyFrom(src, 4L * bi * rows, 4L * (bi * total * inner + offset * inner), 4L * rows);
                    }
                }
                offset += p.dim(1);
            }
            return out(s, y, shape);
        }
    }

    /**
     * A slice of a resident output is copied on the device (B strided row ranges) and stays resident;
     * a host tensor is sliced on the host (an upload would cost more than the copy).
     */
    @Override
    public synchronized Tensor sliceAxis1(Tensor x, int from, int to) {
        DeviceBuffer src = resident == null || x.dtype() != DType.F32 ? null : resident.bufferOf(x);
        if (src == null) return x.sliceAxis1(from, to);
        int[] shape = x.shape();
        if (shape.length < 2 || from < 0 || to < from || to > shape[1]) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of axis 1 of " + x);
        }
        long inner = Tensor.perPosition(shape);
        int b = shape[0], len = shape[1];
        shape[1] = to - from;
        long rows = (long) shape[1] * inner;
        begin(b * rows);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer y = s.floats(b * rows);
            if (rows > 0) {
                for (int bi = 0; bi < b; bi++) y.copyFrom(src, 4L * (bi * len + from) * inner, 4L * bi * rows, 4L * rows);
            }
            return out(s, y, shape);
        }
    }

    /**
     * Channels [from, to) of the last axis: a resident output is cut by one device kernel and the pieces
     * stay resident; a host tensor is cut on the host.
     */
    @Override
    public synchronized Tensor columns(Tensor x, int from, int to) {
        DeviceBuffer src = resident == null || x.dtype() != DType.F32 ? null : resident.bufferOf(x);
        if (src == null) return x.columns(from, to);
        int[] shape = x.shape();
        int c = shape[shape.length - 1];
        if (from < 0 || to < from || to > c) {
            throw new IndexOutOfBoundsException("columns [" + from + ", " + to + ") of a last axis of " + c);
        }
        long rows = c == 0 ? 0 : x.numel() / c;
        int w = to - from;
        shape[shape.length - 1] = w;
        begin(rows * w);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer y = s.floats(rows * w);
            if (rows > 0 && w > 0) ctx.launch1d("columns_f32", rows * 32, 256, src, y, rows, c, from, w);   // a warp per row
            return out(s, y, shape);
        }
    }

    /** Zeros made on the device (a barrier store) when outputs stay resident, else on the host. */
    @Override
    public synchronized Tensor zeros(int... shape) {
        if (resident == null) return Tensor.zeros(shape);
        long n = Tensor.checkedNumel(shape);
        begin(n);
        try (DeviceScope s = ctx.scope()) {
            return out(s, s.floats(n).zero(), shape.clone());
        }
    }

    /** Rows by position: one device kernel for a resident x (the result stays resident), else on the host. */
    @Override
    public synchronized Tensor gatherAxis1(Tensor x, int[] idx) {
        DeviceBuffer src = resident == null || x.dtype() != DType.F32 ? null : resident.bufferOf(x);
        if (src == null) return x.gatherAxis1(idx);
        int[] shape = Tensor.gatherShape(x, idx);
        int b = shape[0], l = x.dim(1);
        long inner = Tensor.perPosition(shape), n = (long) b * idx.length * inner;
        begin(n);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer y = s.floats(n);
            if (n > 0) ctx.launch1d("gather_axis1", n, 256, src, y, s.alloc(4L * idx.length).upload(idx), b, l, idx.length, inner);
            return out(s, y, shape);
        }
    }

    /**
     * Rows written by position into a resident store, in place (one kernel; the rows are uploaded when
     * they are on the host); a host store is written on the host.
     */
    @Override
    public synchronized void scatterAxis1(Tensor into, int[] idx, Tensor rows) {
        DeviceBuffer dst = resident == null || into.dtype() != DType.F32 ? null : resident.bufferOf(into);
        if (dst == null) {
            into.scatterAxis1(idx, rows);
            return;
        }
        Tensor.checkScatter(into, idx, rows);
        int[] shape = into.shape();
        long inner = Tensor.perPosition(shape), n = (long) shape[0] * idx.length * inner;
        begin(0);
        try (DeviceScope s = ctx.scope()) {
            if (n > 0) ctx.launch1d("scatter_axis1", n, 256, dst, in(s, rows), s.alloc(4L * idx.length).upload(idx),
                    shape[0], shape[1], idx.length, inner);
        }
    }

    /**
     * Axis 1 reversed: a resident output is flipped by one device kernel and stays resident; a host
     * tensor is flipped on the host (an upload would cost more than the copy).
     */
    @Override
    public synchronized Tensor flipAxis1(Tensor x) {
        DeviceBuffer src = resident == null || x.dtype() != DType.F32 ? null : resident.bufferOf(x);
        if (src == null) return x.flipAxis1();
        int[] shape = x.shape();
        if (shape.length < 2) throw new IllegalArgumentException("flip of axis 1 needs rank >= 2, got " + x);
        long inner = Tensor.perPosition(shape);
        long n = (long) shape[0] * shape[1] * inner;
        begin(n);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer y = s.floats(n);
            ctx.launch1d("flip_axis1", n, 256, src, y, shape[0], shape[1], inner);
            return out(s, y, shape);
        }
    }

    // ------------------------------------------------------------------ dense ops

    @Override
    public synchronized Tensor linear(Tensor x, Tensor wt, Tensor b) {
        int in = x.dim(-1);
        Shapes.require(wt, "weight", -1, in);
        int out = wt.dim(0);
        Shapes.requireOptional(b, "bias", out);
        int rows = Shapes.rows(x);
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        long n = Tensor.checkedNumel(shape);
        begin(n);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dy = s.floats(n);
            if (precision == Precision.BF16) ops.gemmBf16(in(s, x), wBf16(s, wt), w(b), dy, rows, out, in);
            else ops.gemm(in(s, x), w(wt), w(b), dy, rows, out, in);
            return out(s, dy, shape);
        }
    }

    @Override
    public synchronized Tensor headwiseLinear(Tensor x, Tensor wt, Tensor b) {
        int e = x.dim(-1);
        if (e % 4 != 0) throw new IllegalArgumentException("headwise linear needs width divisible by 4, got " + e);
        Shapes.require(wt, "weight", e / 4, 4, 4);
        Shapes.requireOptional(b, "bias", e);
        return unary(x, (dx, dy) -> ops.headwiseLinear(dx, w(wt), w(b), dy, Shapes.rows(x), e));
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return groupLayerNorm(x, x.dim(-1), gamma, beta, eps);
    }

    @Override
    public synchronized Tensor groupLayerNorm(Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps) {
        int c = x.dim(-1);
        checkGroups(c, groupSize);
        Shapes.requireOptional(gamma, "weight", c);
        Shapes.requireOptional(beta, "bias", c);
        return unary(x, (dx, dy) -> ops.groupLayerNorm(dx, dy, w(gamma), w(beta), Shapes.rows(x), c, groupSize, eps));
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor wt, double eps) {
        return groupRmsNorm(x, x.dim(-1), wt, eps);
    }

    @Override
    public synchronized Tensor groupRmsNorm(Tensor x, int groupSize, Tensor wt, double eps) {
        int c = x.dim(-1);
        checkGroups(c, groupSize);
        Shapes.requireOptional(wt, "weight", c);
        return unary(x, (dx, dy) -> ops.groupRms(dx, null, dy, w(wt), Shapes.rows(x), c, groupSize, eps));
    }

    @Override
    public synchronized Tensor gatedRmsNorm(Tensor y, Tensor z, Tensor wt, int groupSize, double eps) {
        if (!y.sameShape(z)) throw new IllegalArgumentException("gated RMSNorm: y " + y + " and z " + z + " differ");
        int c = y.dim(-1);
        checkGroups(c, groupSize);
        Shapes.requireOptional(wt, "weight", c);
        begin(y.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dy = s.floats(y.numel());
            ops.groupRms(in(s, y), in(s, z), dy, w(wt), Shapes.rows(y), c, groupSize, eps);
            return out(s, dy, y.shape());
        }
    }

    @Override
    public synchronized Tensor silu(Tensor x) {
        return unary(x, (dx, dy) -> ops.silu(dx, dy, x.numel()));
    }

    @Override
    public synchronized Tensor tanh(Tensor x) {
        return unary(x, (dx, dy) -> ops.tanh(dx, dy, x.numel()));
    }

    /**
     * On the device: partial column sums in fp64 over up to 32 segments of the sequence, added in order into
     * acc's device copy, which stays there between calls (a device state), so a pass of many chunks does not
     * wait for the GPU per chunk. Without device states only the B·S·D partial sums cross, and the host adds
     * them in the same order.
     */
    @Override
    public synchronized void addSumAxis1(Tensor x, Tensor acc) {
        int b = x.dim(0), l = x.dim(1), d = Shapes.sumAxis1Width(x, acc);
        if (x.numel() == 0) return;
        int want = Math.min(32, (l + 127) / 128);          // segments of at least 128 tokens, at most 32
        int seg = (l + want - 1) / want, segs = (l + seg - 1) / seg;
        begin(0);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer part = s.alloc(8L * b * segs * d);
            ops.sumAxis1(in(s, x), part, b, l, d, seg);
            if (states != null) {
                ops.foldSums(part, states.of(acc), b, segs, d);
                return;
            }
            double[] h = part.download(new double[b * segs * d]), a = acc.f64();
            for (int i = 0; i < b; i++)
                for (int k = 0; k < segs; k++)
                    for (int c = 0; c < d; c++) a[i * d + c] += h[(i * segs + k) * d + c];
        }
    }

    @Override
    public Tensor add(Tensor a, Tensor b) { return axpby(a, 1.0, b, 1.0); }

    @Override
    public synchronized Tensor mul(Tensor a, Tensor b) {
        requireSame(a, b);
        begin(a.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dy = s.floats(a.numel());
            ops.mul(in(s, a), in(s, b), dy, a.numel());
            return out(s, dy, a.shape());
        }
    }

    @Override
    public synchronized Tensor axpby(Tensor a, double sa, Tensor b, double tb) {
        if (b != null) requireSame(a, b);
        begin(a.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dy = s.floats(a.numel());
            ops.axpby(in(s, a), sa, in(s, b), tb, dy, a.numel());
            return out(s, dy, a.shape());
        }
    }

    @Override
    public synchronized Tensor mulChannels(Tensor a, Tensor v) {
        int c = a.dim(-1);
        Shapes.require(v, "channel vector", c);
        return unary(a, (dx, dy) -> ops.mulChannels(dx, w(v), dy, a.numel(), c));
    }

    @Override
    public synchronized Tensor rope(Tensor x, Tensor freq, long[] pos0, double rho) {
        Shapes.requireRank(x, "x", 3);
        int b = x.dim(0), l = x.dim(1), n = x.dim(2);
        if (n % 2 != 0) throw new IllegalArgumentException("RoPE width must be even, got " + n);
        Shapes.require(freq, "freq", n);
        if (pos0.length != b) throw new IllegalArgumentException("pos0 has " + pos0.length + " entries for batch " + b);
        begin(x.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dp = s.alloc(8L * b).upload(pos0), dy = s.floats(x.numel());
            ops.rope(in(s, x), w(freq), dp, dy, b, l, n, rho);
            return out(s, dy, x.shape());
        }
    }

    @Override
    public synchronized Tensor patchEmbed(Tensor img, Tensor wt, Tensor b, int stride) {
        OpDims.Patch p = OpDims.Patch.of(img, wt, b, stride);
        int bsz = p.b(), ch = p.ch(), hh = p.h(), ww = p.w(), d = p.d(), ps = p.ps(), hp = p.hp(), wp = p.wp();
        int kk = ch * ps * ps;
        begin(Tensor.checkedNumel(new int[] {bsz, hp * wp, d}));
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer cols = s.floats((long) bsz * hp * wp * kk), dy = s.floats((long) bsz * hp * wp * d);
            ops.im2colPatch(in(s, img), cols, bsz, ch, hh, ww, ps, stride, hp, wp);
            ops.gemm(cols, w(wt), w(b), dy, bsz * hp * wp, d, kk);
            return out(s, dy, bsz, hp * wp, d);
        }
    }

    @Override
    public synchronized Tensor depthwiseConv2d3x3(Tensor x, Tensor wt, Tensor b) {
        Shapes.requireRank(x, "x", 4);
        int bsz = x.dim(0), hp = x.dim(1), wp = x.dim(2), e = x.dim(3);
        Shapes.require(wt, "conv weight", e, 3, 3);
        Shapes.requireOptional(b, "conv bias", e);
        return unary(x, (dx, dy) -> ops.depthwise3x3(dx, w(wt), w(b), dy, bsz, hp, wp, e));
    }

    @Override
    public synchronized Tensor bicubicResize(Tensor t, int outH, int outW) {
        Shapes.requireRank(t, "table", 3);
        int c = t.dim(0), h = t.dim(1), wd = t.dim(2);
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("resize target " + outH + "x" + outW);
        double[] src = t.toF64().f64();
        int n = Tensor.checkedNumel(new int[] {c, outH, outW});
        begin(n);
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer di = s.alloc(8L * src.length).upload(src), dy = s.floats(n);
            ops.bicubic(di, dy, c, h, wd, outH, outW);
            return out(s, dy, c, outH, outW);
        }
    }

    // ------------------------------------------------------------------ helpers

    private interface DeviceFn {
        void apply(DeviceBuffer x, DeviceBuffer y);
    }

    /** Output of x's shape from one device function of x. */
    private Tensor unary(Tensor x, DeviceFn fn) {
        begin(x.numel());
        try (DeviceScope s = ctx.scope()) {
            DeviceBuffer dy = s.floats(x.numel());
            fn.apply(in(s, x), dy);
            return out(s, dy, x.shape());
        }
    }

    private static void checkGroups(int c, int groupSize) {
        if (groupSize < 1 || c % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide width " + c);
        }
    }

    private static void requireSame(Tensor a, Tensor b) {
        if (!a.sameShape(b)) throw new IllegalArgumentException("shapes differ: " + a + " vs " + b);
    }

    @Override
    public synchronized void close() {
        RuntimeException lost = null;
        try {
            if (states != null) states.close(); // pulls every state copy back to its host array
        } catch (RuntimeException e) {
            lost = e;
        }
        try {
            if (resident != null) resident.close();
            weights.close();
            ops.close();
        } finally {
            ctx.close();
        }
        if (lost != null) throw new IllegalStateException("carried state left on the device could not be pulled back on close", lost);
    }
}
