package io.scanline.kernels.backend;

import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;

/**
 * The ops every model family is built from. One implementation per compute target (reference Java,
 * DJL/libtorch, CUDA); {@code reference} is the executable spec that every other backend is compared
 * with by the conformance suite.
 *
 * <p>Glossary of dimensions (spec ops §1): B batch (= images), L tokens of this call (a chunk),
 * C/E channels, N SSM state size, K conv width, H/P/G Mamba-2 heads/head dim/groups, NH/DH mLSTM
 * heads/head dim, D model width.
 *
 * <p>Conventions: all tensors are F32, contiguous, token-major ({@code (B, L, ...)}). A recurrent op
 * takes its carried state as a tensor that it <b>reads as the initial state and overwrites with the
 * final state</b>; calling it on consecutive chunks with the same state tensors equals one call on
 * the whole sequence (spec streaming §2). Optional inputs are {@code null}. Inputs other than state
 * are never modified.
 */
public interface Backend extends AutoCloseable {

    String name();

    // ------------------------------------------------------------------ recurrent ops (carried state)

    /**
     * Causal depthwise conv1d with a carried tail (ops §7.1).
     *
     * @param x    (B, L, C) inputs of this chunk
     * @param w    (C, K) taps; w[c, K-1] multiplies the current token
     * @param bias (C) or null
     * @param tail (B, K-1, C) the K-1 inputs before x (oldest first); overwritten with the new tail
     * @param silu apply silu to the output (Mamba mixers)
     * @return (B, L, C)
     */
    Tensor causalConv1d(Tensor x, Tensor w, Tensor bias, Tensor tail, boolean silu);

    /**
     * Mamba-1 selective scan with initial state (ops §8.1).
     *
     * @param u         (B, L, E)
     * @param delta     (B, L, E) raw Δ
     * @param a         (E, N) A (negative)
     * @param bm        (B, L, N)
     * @param cm        (B, L, N)
     * @param d         (E) or null
     * @param z         (B, L, E) or null: gate, out = y·silu(z)
     * @param deltaBias (E) or null
     * @param softplus  apply softplus to Δ + bias
     * @param h         (B, E, N) state in, final state out
     * @return out (B, L, E)
     */
    Tensor selectiveScan(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                         Tensor deltaBias, boolean softplus, Tensor h);

    /**
     * Mamba-2 SSD with initial state (ops §9).
     *
     * @param x      (B, L, H, P)
     * @param dt     (B, L, H) raw dt
     * @param a      (H) A (negative)
     * @param bm     (B, L, G, N)
     * @param cm     (B, L, G, N)
     * @param d      (H) or null
     * @param dtBias (H) or null
     * @param softplus apply softplus to dt + bias
     * @param state  (B, H, P, N) state in, final state out
     * @param chunk  chunk length of the CHUNKED form (ignored by RECURRENT)
     * @return y (B, L, H, P)
     */
    Tensor ssd(SsdForm form, int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d,
               Tensor dtBias, boolean softplus, Tensor state);

    /**
     * mLSTM cell in the project state convention D1 (ops §10): keys enter the state scaled by 1/√DH.
     * A fresh sequence starts from (C, n, m) = (0, 0, −∞).
     *
     * @param q,k,v (B, L, NH, DH)
     * @param ig    (B, L, NH) input-gate pre-activation
     * @param fg    (B, L, NH) forget-gate pre-activation
     * @param c     (B, NH, DH, DH) state C (rows = key channel); in/out
     * @param n     (B, NH, DH) state n; in/out
     * @param m     (B, NH) stabilizer m; in/out (−∞ allowed)
     * @param chunk chunk length of the CHUNKWISE form (ignored otherwise)
     * @return h (B, L, NH, DH)
     */
    Tensor mlstm(MlstmForm form, int chunk, Tensor q, Tensor k, Tensor v, Tensor ig, Tensor fg,
                 Tensor c, Tensor n, Tensor m, double eps);

    // ------------------------------------------------------------------ dense ops (per token)

    /** x (..., in) · wᵀ + b; w (out, in), b (out) or null. */
    Tensor linear(Tensor x, Tensor w, Tensor b);

    /**
     * ViL LinearHeadwiseExpand (ops §4.2): block-diagonal map, blocks of 4.
     * x (..., E), w (E/4, 4, 4), b (E) or null.
     */
    Tensor headwiseLinear(Tensor x, Tensor w, Tensor b);

    /** LayerNorm over the last axis: (x−μ)/√(σ²+eps)·gamma + beta; beta may be null. */
    Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps);

    /**
     * LayerNorm per group of {@code groupSize} channels, then per-channel affine (ViL MultiHeadLayerNorm,
     * ops §5); gamma/beta (C) or null.
     */
    Tensor groupLayerNorm(Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps);

    /** RMSNorm over the last axis: x·(mean(x²)+eps)^−½·w; w null means no weight. */
    Tensor rmsNorm(Tensor x, Tensor w, double eps);

    /** RMS normalization per group of {@code groupSize} channels, optional weight (De-focus group RMS). */
    Tensor groupRmsNorm(Tensor x, int groupSize, Tensor w, double eps);

    /** Gated RMSNorm, norm_before_gate = false (ops §5): g = y·silu(z), then group RMS with weight. */
    Tensor gatedRmsNorm(Tensor y, Tensor z, Tensor w, int groupSize, double eps);

    Tensor silu(Tensor x);

    /**
     * tanh elementwise (De-focus Large MLP heads only, applied to one token per image or per-patch
     * logits). A default on the host so existing backends need not implement it; override to run it on
     * the device.
     */
    default Tensor tanh(Tensor x) {
        float[] xs = x.f32(), y = new float[xs.length];
        for (int i = 0; i < y.length; i++) y[i] = (float) Math.tanh(xs[i]);
        return Tensor.of(y, x.shape());
    }

    /**
     * Sums of x (B, L, D) over axis 1 added in fp64 into acc, an F64 tensor of B·D sums (row-major), as a
     * model's running mean over a sequence needs them (spec ops §2: long sums in fp64). acc is carried
     * state: a backend with device states keeps it there between calls (a host read of acc pulls it), so a
     * chunked pass does not wait for the device once per chunk. The default adds on the host, token by token.
     */
    default void addSumAxis1(Tensor x, Tensor acc) {
        int b = x.dim(0), l = x.dim(1), d = Shapes.sumAxis1Width(x, acc);
        float[] src = x.f32();
        double[] a = acc.f64();
        for (int i = 0; i < b; i++)
            for (int t = 0; t < l; t++) {
                int o = (i * l + t) * d;
                for (int c = 0; c < d; c++) a[i * d + c] += src[o + c];
            }
    }

    Tensor add(Tensor a, Tensor b);

    Tensor mul(Tensor a, Tensor b);

    /** a·s + b·t elementwise (b may be null): averages and weighted sums of directions. */
    Tensor axpby(Tensor a, double s, Tensor b, double t);

    /** a ⊙ v, where v (C) is broadcast over all leading axes of a (..., C). */
    Tensor mulChannels(Tensor a, Tensor v);

    /**
     * De-focus RoPE on B or C rows (ops §11). x (B, L, N), freq (N), pos0[b] = global position of
     * the first token of this chunk for batch element b, rho = rope_scale_factor.
     */
    Tensor rope(Tensor x, Tensor freq, long[] pos0, double rho);

    /**
     * Patch embedding conv (ops §4.1): img (B, 3, H, W), w (D, 3, ps, ps), b (D), stride st;
     * returns (B, Hp·Wp, D) tokens row-major.
     */
    Tensor patchEmbed(Tensor img, Tensor w, Tensor b, int stride);

    /**
     * ViL 3×3 depthwise conv over a patch grid, zero padding 1 (ops §7.2).
     * x (B, Hp, Wp, E) → (B, Hp, Wp, E); w (E, 3, 3), b (E) or null.
     */
    Tensor depthwiseConv2d3x3(Tensor x, Tensor w, Tensor b);

    /** Bicubic resize identical to PyTorch (ops §12): t (C, H, W) → (C, outH, outW), computed in fp64. */
    Tensor bicubicResize(Tensor t, int outH, int outW);

    /**
     * Tensors joined along axis 1 (the token axis of (B, L, ...)), as {@link Tensor#concatAxis1}: the
     * default joins on the host; a backend that keeps its outputs on a device overrides it so that the
     * parts are not copied to the host and the result stays there.
     */
    default Tensor concatAxis1(java.util.List<Tensor> parts) { return Tensor.concatAxis1(parts); }

    /**
     * Positions [from, to) of axis 1 (the token axis of (B, L, ...)), as {@link Tensor#sliceAxis1}: the
     * default slices on the host; a backend that keeps its outputs on a device overrides it so that a
     * slice of a device output stays there.
     */
    default Tensor sliceAxis1(Tensor x, int from, int to) { return x.sliceAxis1(from, to); }

    /**
     * Channels [from, to) of the last axis, as {@link Tensor#columns}: the pieces of a split projection
     * output ([z | xBC | dt], ViL's [i | f] gates). The default copies on the host; a backend that keeps
     * its outputs on a device overrides it so that a split is no host round trip per layer.
     */
    default Tensor columns(Tensor x, int from, int to) { return x.columns(from, to); }

    /**
     * Zeros of the given shape, made where this backend keeps its outputs: the rows of a barrier store
     * before any write ({@link #scatterAxis1} then fills it in place). The default is a host tensor.
     */
    default Tensor zeros(int... shape) { return Tensor.zeros(shape); }

    /**
     * Positions idx[0..n) of axis 1 of x, in that order, as {@link Tensor#gatherAxis1}: a column-order
     * chunk read from a row-major store in one call. The default copies on the host.
     */
    default Tensor gatherAxis1(Tensor x, int[] idx) { return x.gatherAxis1(idx); }

    /**
     * Rows (B, n, ...) written at distinct positions idx[0..n) of axis 1 of {@code into}, in place, as
     * {@link Tensor#scatterAxis1}. {@code into} is a store this backend made ({@link #zeros}); nothing
     * else may hold it. The default writes on the host.
     */
    default void scatterAxis1(Tensor into, int[] idx, Tensor rows) { into.scatterAxis1(idx, rows); }

    /**
     * Axis 1 reversed (backward scan order of (B, L, ...)), as {@link Tensor#flipAxis1}: the default
     * flips on the host; a device backend flips its own outputs on the device, where they stay.
     */
    default Tensor flipAxis1(Tensor x) { return x.flipAxis1(); }

    /**
     * Opens a scope whose outputs are freed when it closes, unless kept ({@link OpScope}); use it
     * around a block whose intermediates do not escape. The default keeps nothing on a device.
     */
    default OpScope opScope() { return OpScope.NONE; }

    /**
     * Frees the device data of op outputs that outlived their scope and are no longer needed (state that
     * a pass kept across chunks, such as a window of rows), instead of leaving them to the garbage
     * collector. Every tensor over the same data (reshapes) is released with it; a later read or op use
     * fails as for an output freed by its op scope. Tensors that are not this backend's device outputs
     * are left alone. The default keeps nothing on a device and does nothing.
     */
    default void release(Tensor... ts) {}

    /**
     * Sets carried-state tensors (F32; F64 only to 0) to {@code value} where they live: a backend that keeps
     * states on its device fills its copy there, so a pass starting from a fresh state (zeros, or −∞ for
     * an mLSTM stabilizer) does not upload it, and does not wait for the device's queued work as an upload
     * from host memory does. Null entries are skipped. The default fills the host arrays.
     */
    default void fillState(float value, Tensor... states) {
        for (Tensor t : states) {
            if (t == null) continue;
            Shapes.requireFillable(t, value);
            if (t.dtype() == DType.F64) Arrays.fill(t.f64(), 0.0);
            else Arrays.fill(t.f32(), value);
        }
    }

    /**
     * Per-image states (each with a batch axis of 1, same shape) joined along axis 0 into one state for a
     * batched recurrent call; {@link #unstackStates} writes the updated rows back. The default copies on
     * the host; a device backend joins the device copies of the states, so that batched passes keep
     * their state on the device as well.
     */
    default Tensor stackStates(java.util.List<Tensor> parts) {
        requireStackable(parts);
        Tensor first = parts.get(0);
        int per = first.numel();
        float[] out = new float[per * parts.size()];
        for (int i = 0; i < parts.size(); i++) System.arraycopy(parts.get(i).f32(), 0, out, i * per, per);
        int[] shape = first.shape();
        shape[0] = parts.size();
        return Tensor.of(out, shape);
    }

    /** The precondition of {@link #stackStates}: at least one state, all of one shape with a batch axis of 1. */
    static void requireStackable(java.util.List<Tensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("stack: no states");
        Tensor first = parts.get(0);
        for (Tensor p : parts) {
            if (!p.sameShape(first) || p.dim(0) != 1) throw new IllegalArgumentException("stack: states differ or have batch != 1: " + first + " vs " + p);
        }
    }

    /** Row i of a state made by {@link #stackStates} written back into {@code parts.get(i)} (in place). */
    default void unstackStates(Tensor stacked, java.util.List<Tensor> parts) {
        int per = parts.get(0).numel();
        if (stacked.numel() != per * parts.size()) throw new IllegalArgumentException("unstack: " + stacked + " into " + parts.size() + " states of " + per);
        float[] src = stacked.f32();
        for (int i = 0; i < parts.size(); i++) System.arraycopy(src, i * per, parts.get(i).f32(), 0, per);
    }

    /**
     * Asks for room to keep a barrier store of {@code bytes} as this backend's own outputs (on a device
     * backend: device memory), so that multi-pass models need not copy their residual stream to the
     * host between passes. True when granted; the caller then gives the room back with
     * {@link #releaseDeviceStore}. The default keeps nothing on a device: false.
     */
    default boolean reserveDeviceStore(long bytes) { return false; }

    /** Gives back room granted by {@link #reserveDeviceStore}. */
    default void releaseDeviceStore(long bytes) {}

    @Override
    default void close() {}
}
