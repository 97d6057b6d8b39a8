package io.scanline.kernels.backend.reference;

import io.scanline.kernels.backend.Activations;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.tensor.Tensor;

/**
 * The executable specification: plain Java loops, double accumulation, fp32 storage and states.
 * Single-threaded and slow by design; every other backend is checked against it.
 */
public final class ReferenceBackend implements Backend {
    public static final String NAME = "reference";

    @Override
    public String name() { return NAME; }

    @Override
    public Tensor causalConv1d(Tensor x, Tensor w, Tensor bias, Tensor tail, boolean silu) {
        return RefScans.causalConv1d(x, w, bias, tail, silu);
    }

    @Override
    public Tensor selectiveScan(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                                Tensor deltaBias, boolean softplus, Tensor h) {
        return RefScans.selectiveScan(u, delta, a, bm, cm, d, z, deltaBias, softplus, h);
    }

    @Override
    public Tensor ssd(SsdForm form, int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d,
                      Tensor dtBias, boolean softplus, Tensor state) {
        return form == SsdForm.RECURRENT
                ? RefScans.ssdRecurrent(x, dt, a, bm, cm, d, dtBias, softplus, state)
                : RefScans.ssdChunked(chunk, x, dt, a, bm, cm, d, dtBias, softplus, state);
    }

    @Override
    public Tensor mlstm(MlstmForm form, int chunk, Tensor q, Tensor k, Tensor v, Tensor ig, Tensor fg,
                        Tensor c, Tensor n, Tensor m, double eps) {
        return RefMlstm.run(form, chunk, q, k, v, ig, fg, c, n, m, eps);
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor b) { return RefDense.linear(x, w, b); }

    @Override
    public Tensor headwiseLinear(Tensor x, Tensor w, Tensor b) { return RefDense.headwiseLinear(x, w, b); }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return RefDense.groupLayerNorm(x, x.dim(-1), gamma, beta, eps);
    }

    @Override
    public Tensor groupLayerNorm(Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps) {
        return RefDense.groupLayerNorm(x, groupSize, gamma, beta, eps);
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor w, double eps) {
        return RefDense.groupRms(x.f32(), x.shape(), x.dim(-1), w, eps);
    }

    @Override
    public Tensor groupRmsNorm(Tensor x, int groupSize, Tensor w, double eps) {
        return RefDense.groupRms(x.f32(), x.shape(), groupSize, w, eps);
    }

    @Override
    public Tensor gatedRmsNorm(Tensor y, Tensor z, Tensor w, int groupSize, double eps) {
        return RefDense.gatedRms(y, z, w, groupSize, eps);
    }

    @Override
    public Tensor silu(Tensor x) {
        float[] xs = x.f32(), y = new float[xs.length];
        for (int i = 0; i < y.length; i++) y[i] = (float) Activations.silu(xs[i]);
        return Tensor.of(y, x.shape());
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        // the fp32 sum equals axpby(a, 1, b, 1)'s fp64 sum rounded once (a double holds ≥ 2·24 + 2 bits,
        // so the double rounding is innocuous), and the loop vectorizes
        requireSame(a, b);
        float[] as = a.f32(), bs = b.f32(), y = new float[as.length];
        for (int i = 0; i < y.length; i++) y[i] = as[i] + bs[i];
        return Tensor.of(y, a.shape());
    }

    @Override
    public Tensor mul(Tensor a, Tensor b) {
        requireSame(a, b);
        float[] as = a.f32(), bs = b.f32(), y = new float[as.length];
        for (int i = 0; i < y.length; i++) y[i] = as[i] * bs[i];
        return Tensor.of(y, a.shape());
    }

    @Override
    public Tensor axpby(Tensor a, double s, Tensor b, double t) {
        if (b != null) requireSame(a, b);
        float[] as = a.f32(), bs = b == null ? null : b.f32(), y = new float[as.length];
        if (bs == null) for (int i = 0; i < y.length; i++) y[i] = (float) (as[i] * s + 0.0);   // + 0.0: −0 becomes +0
        else for (int i = 0; i < y.length; i++) y[i] = (float) (as[i] * s + bs[i] * t);
        return Tensor.of(y, a.shape());
    }

    @Override
    public Tensor mulChannels(Tensor a, Tensor v) {
        int c = a.dim(-1);
        io.scanline.kernels.backend.Shapes.require(v, "channel vector", c);
        float[] as = a.f32(), vs = v.f32(), y = new float[as.length];
        for (int r = 0; r < y.length; r += c)
            for (int i = 0; i < c; i++) y[r + i] = as[r + i] * vs[i];
        return Tensor.of(y, a.shape());
    }

    @Override
    public Tensor rope(Tensor x, Tensor freq, long[] pos0, double rho) { return RefDense.rope(x, freq, pos0, rho); }

    @Override
    public Tensor patchEmbed(Tensor img, Tensor w, Tensor b, int stride) { return RefDense.patchEmbed(img, w, b, stride); }

    @Override
    public Tensor depthwiseConv2d3x3(Tensor x, Tensor w, Tensor b) { return RefDense.depthwise3x3(x, w, b); }

    @Override
    public Tensor bicubicResize(Tensor t, int outH, int outW) { return RefResize.resize(t, outH, outW); }

    private static void requireSame(Tensor a, Tensor b) {
        if (!a.sameShape(b)) throw new IllegalArgumentException("shapes differ: " + a + " vs " + b);
    }
}
