package io.scanline.kernels.model.vil;

import io.scanline.kernels.model.TokenLayout;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

/**
 * Weights of one ViL block (v2: one sub-block), spec models §2.3 / §3.2, with the residual-weight
 * norms already turned into γ = 1 + w. Absent biases are null.
 *
 * <p>Glossary: D model width, E = 2D inner width, NH = 4 mLSTM heads, K causal conv width.
 */
public record ViLBlockWeights(
        Tensor normGamma, Tensor normBeta,        // (D), (D) or null
        Tensor xmW, Tensor xmB, Tensor zW, Tensor zB,   // (E, D), (E) or null: proj_up split into its x_m and z halves
        Tensor qW, Tensor qB, Tensor kW, Tensor kB, Tensor vW, Tensor vB,   // (E/4, 4, 4), (E)
        Tensor conv2d,                            // (E, 3, 3) for the grid conv, else null
        Tensor conv1d,                            // (E, K) for the causal conv, else null
        Tensor convB,                             // (E)
        Tensor gateQ, Tensor gateK, Tensor gateV, Tensor gateB,   // (2NH, E) each, (2NH): input gate rows, then forget gate rows
        Tensor outGamma, Tensor outBeta,          // (E), (E) or null
        Tensor skip,                              // (E)
        Tensor downW, Tensor downB) {             // (D, E), (D) or null

    public static final int HEADS = 4;

    public int inner() { return xmW.dim(0); }

    /** How the block's x_m is convolved: the v2 grid conv, or a causal conv1d in the block's own order. */
    public enum ConvKind { GRID_3X3, CAUSAL_1D }

    /**
     * @param block     prefix of the block's own norm, e.g. {@code blocks.0.rowwise_from_top_left.}
     * @param convKey   key of the conv weight (without {@code .weight})
     * @param convK     causal conv width (ignored for the grid conv)
     */
    static ViLBlockWeights load(Weights w, String block, int d, boolean projBias, boolean normBias,
                                ConvKind kind, String convKey, int convK) {
        int e = 2 * d;
        String l = block + "layer.";
        Tensor conv2d = null, conv1d = null;
        if (kind == ConvKind.GRID_3X3) conv2d = w.get(convKey + ".weight", e, 1, 3, 3).reshape(e, 3, 3);
        else conv1d = w.get(convKey + ".weight", e, 1, convK).reshape(e, convK);
        Tensor up = w.get(l + "proj_up.weight", 2 * e, d), upB = projBias ? w.get(l + "proj_up.bias", 2 * e) : null;
        Tensor gates = stack(w.get(l + "mlstm_cell.igate.weight", HEADS, 3 * e), w.get(l + "mlstm_cell.fgate.weight", HEADS, 3 * e));
        return new ViLBlockWeights(
                TokenLayout.plusOne(w.get(block + "norm.weight", d)),
                normBias ? w.get(block + "norm.bias", d) : null,
                rows(up, 0, e), upB == null ? null : rows(upB, 0, e), rows(up, e, 2 * e), upB == null ? null : rows(upB, e, 2 * e),
                w.get(l + "q_proj.weight", e / 4, 4, 4), projBias ? w.get(l + "q_proj.bias", e) : null,
                w.get(l + "k_proj.weight", e / 4, 4, 4), projBias ? w.get(l + "k_proj.bias", e) : null,
                w.get(l + "v_proj.weight", e / 4, 4, 4), projBias ? w.get(l + "v_proj.bias", e) : null,
                conv2d, conv1d, w.get(convKey + ".bias", e),
                gates.columns(0, e), gates.columns(e, 2 * e), gates.columns(2 * e, 3 * e),
                stack(w.get(l + "mlstm_cell.igate.bias", HEADS), w.get(l + "mlstm_cell.fgate.bias", HEADS)),
                TokenLayout.plusOne(w.get(l + "mlstm_cell.outnorm.weight", e)),
                normBias ? w.get(l + "mlstm_cell.outnorm.bias", e) : null,
                w.get(l + "learnable_skip", e),
                w.get(l + "proj_down.weight", d, e), projBias ? w.get(l + "proj_down.bias", d) : null);
    }

    /**
     * Rows [from, to) of a weight (along its first axis) as a tensor of its own: x_m and z come from
     * separate linears so that each stays whole on a device backend (a column split of one output is a
     * host operation).
     */
    private static Tensor rows(Tensor t, int from, int to) {
        int[] shape = t.shape();
        int per = t.numel() / shape[0];
        float[] o = java.util.Arrays.copyOfRange(t.f32(), from * per, to * per);
        shape[0] = to - from;
        return Tensor.of(o, shape);
    }

    /**
     * Rows of a then rows of b: both gates come from the same input, so one linear per input part
     * serves them. The gates' input is [q | k | v]; it is not concatenated but split over the weight's
     * columns (three linears summed), which keeps q, k, v whole on a device backend.
     */
    private static Tensor stack(Tensor a, Tensor b) {
        float[] av = a.f32(), bv = b.f32(), o = new float[av.length + bv.length];
        System.arraycopy(av, 0, o, 0, av.length);
        System.arraycopy(bv, 0, o, av.length, bv.length);
        int[] shape = a.shape().clone();
        shape[0] += b.dim(0);
        return Tensor.of(o, shape);
    }
}
