package io.scanline.kernels.stream;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

/**
 * One De-focus Mamba block {@code s + Mixer(MambaRMSNorm(s))} (spec models §6.2) over one chunk of B
 * images, carrying per image the conv tail and the SSM state h (spec streaming §4.1).
 *
 * <p>δ = softplus(·)/s with s = delta_scale_factor: the backend scan applies softplus itself, so the
 * division is moved to where δ enters the recurrence, exp((δ/s)·A) = exp(δ·(A/s)) and (δ/s)·B·u =
 * δ·(B/s)·u: A/s is folded in at load, B is scaled per chunk (exact in real arithmetic).
 *
 * <p>Glossary: B images, L tokens of the chunk, D width, E inner width, N state size, R dt rank,
 * K conv width.
 */
final class DefocusBlock {
    private static final double SCAN_GROUP_EPS = 1e-6;

    final int e, n, k;
    private final Tensor normW, wx, wg, convW, convB, wDt, wB, wC, dtW, dtB, a, dSkip, freq, outW;
    private final int groupSize;
    private final double eps, rho, deltaScale;

    DefocusBlock(Weights w, int b, int d, int e, int n, int r, int k, int groupSize, double eps, double rho,
                 double deltaScale) {
        String p = "blocks." + b + ".", m = p + "mixer.";
        this.e = e;
        this.n = n;
        this.k = k;
        this.normW = w.get(p + "norm.weight", d);
        Tensor in = w.get(m + "in_proj.weight", 2 * e, d);
        this.wx = rows(in, 0, e);
        this.wg = rows(in, e, 2 * e);
        this.convW = w.get(m + "conv1d.weight", e, 1, k).reshape(e, k);
        this.convB = w.optional(m + "conv1d.bias", e);
        Tensor xp = w.get(m + "x_proj.weight", r + 2 * n, e);
        this.wDt = rows(xp, 0, r);
        this.wB = rows(xp, r, r + n);
        this.wC = rows(xp, r + n, r + 2 * n);
        this.dtW = w.get(m + "dt_proj.weight", e, r);
        this.dtB = w.get(m + "dt_proj.bias", e);
        float[] aLog = w.get(m + "A_log", e, n).f32(), av = new float[e * n];
        for (int i = 0; i < av.length; i++) av[i] = (float) (-Math.exp(aLog[i]) / deltaScale);
        this.a = Tensor.of(av, e, n);
        this.dSkip = w.get(m + "D", e);
        this.freq = w.get(m + "freq", n);
        this.outW = w.get(m + "out_proj.weight", d, e);
        this.groupSize = groupSize;
        this.eps = eps;
        this.rho = rho;
        this.deltaScale = deltaScale;
    }

    private static Tensor rows(Tensor m, int from, int to) {
        int cols = m.dim(1);
        return m.reshape(1, m.dim(0), cols).sliceAxis1(from, to).reshape(to - from, cols);
    }

    /**
     * @param x    (B, L, D) residual stream of the chunk
     * @param tail (B, K−1, E) conv tail, updated in place
     * @param h    (B, E, N) SSM state, updated in place
     * @param pos0 scan position of the chunk's first token, per image (RoPE)
     * @return (B, L, D)
     */
    Tensor forward(Backend be, Tensor x, Tensor tail, Tensor h, long[] pos0) {
        Tensor hn = be.rmsNorm(x, normW, eps);
        Tensor xc = be.causalConv1d(be.linear(hn, wx, null), convW, convB, tail, true);
        Tensor g = be.linear(hn, wg, null);
        Tensor bm = be.rope(be.linear(xc, wB, null), freq, pos0, rho);
        Tensor cm = be.rope(be.linear(xc, wC, null), freq, pos0, rho);
        if (deltaScale != 1.0) bm = be.axpby(bm, 1.0 / deltaScale, null, 0.0);
        Tensor delta = be.linear(be.linear(xc, wDt, null), dtW, null);
        // no D and no gate inside the scan: both come after the group RMS (spec models §6.4)
        Tensor y = be.selectiveScan(xc, delta, a, bm, cm, null, null, dtB, true, h);
        y = be.groupRmsNorm(y, groupSize, null, SCAN_GROUP_EPS);
        y = be.mul(be.add(y, be.mulChannels(xc, dSkip)), be.silu(g));
        return be.add(x, be.linear(y, outW, null));
    }
}
