package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.tensor.Tensor;

/**
 * Delegates to a backend and records, per call, the bytes of its tensor arguments plus its result:
 * the working set of one op. Its maximum over a run is what a fused pass needs besides carried state,
 * and it must not grow with the image (tested for De-focus).
 */
public final class MeteredBackend implements Backend {
    private final Backend inner;
    private final MemoryLedger ledger;

    public MeteredBackend(Backend inner, MemoryLedger ledger) {
        this.inner = inner;
        this.ledger = ledger;
    }

    private Tensor note(Tensor result, Tensor... args) {
        long b = result.bytes();
        for (Tensor t : args) if (t != null) b += t.bytes();
        ledger.opBytes(b);
        return result;
    }

    @Override public String name() { return inner.name(); }

    @Override public Tensor causalConv1d(Tensor x, Tensor w, Tensor bias, Tensor tail, boolean silu) {
        return note(inner.causalConv1d(x, w, bias, tail, silu), x, w, bias, tail);
    }

    @Override public Tensor selectiveScan(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                                          Tensor deltaBias, boolean softplus, Tensor h) {
        return note(inner.selectiveScan(u, delta, a, bm, cm, d, z, deltaBias, softplus, h), u, delta, a, bm, cm, d, z, deltaBias, h);
    }

    @Override public Tensor ssd(SsdForm form, int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d,
                                Tensor dtBias, boolean softplus, Tensor state) {
        return note(inner.ssd(form, chunk, x, dt, a, bm, cm, d, dtBias, softplus, state), x, dt, a, bm, cm, d, dtBias, state);
    }

    @Override public Tensor mlstm(MlstmForm form, int chunk, Tensor q, Tensor k, Tensor v, Tensor ig, Tensor fg,
                                  Tensor c, Tensor n, Tensor m, double eps) {
        return note(inner.mlstm(form, chunk, q, k, v, ig, fg, c, n, m, eps), q, k, v, ig, fg, c, n, m);
    }

    @Override public Tensor linear(Tensor x, Tensor w, Tensor b) { return note(inner.linear(x, w, b), x, w, b); }

    @Override public Tensor headwiseLinear(Tensor x, Tensor w, Tensor b) { return note(inner.headwiseLinear(x, w, b), x, w, b); }

    @Override public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        return note(inner.layerNorm(x, gamma, beta, eps), x, gamma, beta);
    }

    @Override public Tensor groupLayerNorm(Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps) {
        return note(inner.groupLayerNorm(x, groupSize, gamma, beta, eps), x, gamma, beta);
    }

    @Override public Tensor rmsNorm(Tensor x, Tensor w, double eps) { return note(inner.rmsNorm(x, w, eps), x, w); }

    @Override public Tensor groupRmsNorm(Tensor x, int groupSize, Tensor w, double eps) {
        return note(inner.groupRmsNorm(x, groupSize, w, eps), x, w);
    }

    @Override public Tensor gatedRmsNorm(Tensor y, Tensor z, Tensor w, int groupSize, double eps) {
        return note(inner.gatedRmsNorm(y, z, w, groupSize, eps), y, z, w);
    }

    @Override public Tensor silu(Tensor x) { return note(inner.silu(x), x); }

    @Override public Tensor tanh(Tensor x) { return note(inner.tanh(x), x); }

    @Override public void addSumAxis1(Tensor x, Tensor acc) {
        ledger.opBytes(x.bytes());
        inner.addSumAxis1(x, acc);
    }

    @Override public Tensor add(Tensor a, Tensor b) { return note(inner.add(a, b), a, b); }

    @Override public Tensor mul(Tensor a, Tensor b) { return note(inner.mul(a, b), a, b); }

    @Override public Tensor axpby(Tensor a, double s, Tensor b, double t) { return note(inner.axpby(a, s, b, t), a, b); }

    @Override public Tensor mulChannels(Tensor a, Tensor v) { return note(inner.mulChannels(a, v), a, v); }

    @Override public Tensor rope(Tensor x, Tensor freq, long[] pos0, double rho) { return note(inner.rope(x, freq, pos0, rho), x, freq); }

    @Override public Tensor patchEmbed(Tensor img, Tensor w, Tensor b, int stride) {
        return note(inner.patchEmbed(img, w, b, stride), img, w, b);
    }

    @Override public Tensor depthwiseConv2d3x3(Tensor x, Tensor w, Tensor b) {
        return note(inner.depthwiseConv2d3x3(x, w, b), x, w, b);
    }

    @Override public Tensor bicubicResize(Tensor t, int outH, int outW) { return note(inner.bicubicResize(t, outH, outW), t); }

    @Override public void close() { inner.close(); }
    @Override public Tensor concatAxis1(java.util.List<Tensor> parts) {
        Tensor out = inner.concatAxis1(parts);
        return note(out, parts.toArray(new Tensor[0]));
    }

    @Override public Tensor sliceAxis1(Tensor x, int from, int to) { return note(inner.sliceAxis1(x, from, to), x); }
    @Override public Tensor flipAxis1(Tensor x) { return note(inner.flipAxis1(x), x); }
    @Override public Tensor columns(Tensor x, int from, int to) { return note(inner.columns(x, from, to), x); }
    // a store made by zeros() is a barrier store, counted as one where it is opened, not as an op's working set
    @Override public Tensor zeros(int... shape) { return inner.zeros(shape); }
    @Override public Tensor gatherAxis1(Tensor x, int[] idx) { return note(inner.gatherAxis1(x, idx)); }
    @Override public void scatterAxis1(Tensor into, int[] idx, Tensor rows) {
        ledger.opBytes(rows.bytes());
        inner.scatterAxis1(into, idx, rows);
    }
    @Override public io.scanline.kernels.backend.OpScope opScope() { return inner.opScope(); }

    @Override public void release(Tensor... ts) { inner.release(ts); }

    @Override public void fillState(float value, Tensor... states) { inner.fillState(value, states); }
    @Override public Tensor stackStates(java.util.List<Tensor> parts) { return inner.stackStates(parts); }
    @Override public void unstackStates(Tensor stacked, java.util.List<Tensor> parts) { inner.unstackStates(stacked, parts); }
    @Override public boolean reserveDeviceStore(long bytes) { return inner.reserveDeviceStore(bytes); }
    @Override public void releaseDeviceStore(long bytes) { inner.releaseDeviceStore(bytes); }
}
