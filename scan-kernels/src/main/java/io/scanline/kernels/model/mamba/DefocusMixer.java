package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

/**
 * One De-focus block, {@code s + Mixer(MambaRMSNorm(s))} (spec models §6.2), over one chunk.
 *
 * <p>delta_scale_factor s divides δ after softplus. The backend scan applies softplus itself, so the
 * division is moved onto the two places δ enters the recurrence: exp((δ/s)·A) = exp(δ·(A/s)) and
 * (δ/s)·B·u = δ·(B/s)·u. A/s is folded into {@link Mamba1Params#a()} at load time; B is scaled per
 * chunk. Exact in real arithmetic; in fp32 it moves one rounding (≈ 6e-8 relative).
 *
 * <p>Glossary: B images, L tokens of the chunk, D width, E inner width, N state size, R dt rank,
 * K conv width, G group size of the scan-output RMS.
 */
final class DefocusMixer {
    static final double SCAN_GROUP_EPS = 1e-6;

    private final Tensor normW, wx, wg, freq, outW;
    private final Mamba1Params p;
    private final int groupSize;
    private final double eps, rho, deltaScale;

    DefocusMixer(Weights w, String prefix, int d, int e, int n, int r, int k, int groupSize, double eps,
                 double rho, double deltaScale) {
        this.normW = w.get(prefix + "norm.weight", d);
        String m = prefix + "mixer.";
        Tensor in = w.get(m + "in_proj.weight", 2 * e, d).reshape(1, 2 * e, d);
        this.wx = in.sliceAxis1(0, e).reshape(e, d);
        this.wg = in.sliceAxis1(e, 2 * e).reshape(e, d);
        this.p = Mamba1Params.load(w, m, "", e, n, r, k, deltaScale);
        this.freq = w.get(m + "freq", n);
        this.outW = w.get(m + "out_proj.weight", d, e);
        this.groupSize = groupSize;
        this.eps = eps;
        this.rho = rho;
        this.deltaScale = deltaScale;
    }

    Mamba1Params params() { return p; }

    /**
     * @param x    (B, L, D) residual stream of the chunk
     * @param pos0 global scan position of the chunk's first token, per image (RoPE, ops §11)
     * @return (B, L, D) residual stream after the block
     */
    Tensor forward(Backend be, Tensor x, DirectionState st, long[] pos0) {
        // every intermediate dies here: a device backend frees them when the scope closes
        try (OpScope scope = be.opScope()) {
            Tensor hn = be.rmsNorm(x, normW, eps);
            Tensor xi = be.linear(hn, wx, null);
            Tensor g = be.linear(hn, wg, null);
            Tensor xc = be.causalConv1d(xi, p.convW(), p.convB(), st.tail(), true);
            Tensor dt = be.linear(xc, p.wDt(), null);
            Tensor bm = be.rope(be.linear(xc, p.wB(), null), freq, pos0, rho);
            Tensor cm = be.rope(be.linear(xc, p.wC(), null), freq, pos0, rho);
            if (deltaScale != 1.0) bm = be.axpby(bm, 1.0 / deltaScale, null, 0.0);
            Tensor delta = be.linear(dt, p.dtW(), null);
            // scan without D and gate: both come after the group RMS (spec models §6.4)
            Tensor y = be.selectiveScan(xc, delta, p.a(), bm, cm, null, null, p.dtB(), true, st.h());
            y = be.groupRmsNorm(y, groupSize, null, SCAN_GROUP_EPS);
            y = be.mul(be.add(y, be.mulChannels(xc, p.d())), be.silu(g));
            return scope.keep(be.add(x, be.linear(y, outW, null)));
        }
    }
}
