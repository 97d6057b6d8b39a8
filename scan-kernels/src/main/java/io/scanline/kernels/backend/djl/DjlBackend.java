package io.scanline.kernels.backend.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;

import java.util.function.Function;

/**
 * The {@code djl} backend: libtorch (DJL PyTorch engine, CPU) for dense ops and chunked recurrences.
 *
 * <p>Not thread-safe (DJL NDManagers are not): one instance per task thread. Every op works inside a
 * sub-manager that is closed when the op returns, so no native memory outlives a call; results and
 * states come back as host tensors. Inputs reach libtorch through {@link Staging} (one copy); ops with
 * a flop or two per element run on the host (the reference's elementwise loops and RoPE, and
 * {@link HostOps}), since a native call would spend its time copying.
 *
 * <p>Forms: SSD RECURRENT and CHUNKED both run the chunked algorithm (equal by spec ops §9.2, chunks
 * of at most 128 tokens), and mLSTM RECURRENT runs the chunkwise one with the given chunk (§10.3): on
 * libtorch a one-token step costs a dozen native calls, so the definitions are not worth a separate
 * slow path here; the reference backend keeps them.
 */
public final class DjlBackend implements Backend {
    private static final Backend HOST = new ReferenceBackend();
    private final NDManager root;
    private final Staging staging = new Staging();
    private boolean closed;

    /** @param threads libtorch intra-op threads (a process-wide libtorch setting) */
    DjlBackend(int threads) {
        JniUtils.setNumThreads(threads);
        this.root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
    }

    @Override
    public String name() { return DjlProvider.NAME; }

    private <T> T op(Function<NDManager, T> body) {
        if (closed) throw new IllegalStateException("djl backend is closed");
        staging.enter();
        try (NDManager m = root.newSubManager()) {
            return body.apply(m);
        } finally {
            staging.reset();   // after the sub-manager closed: no array wraps a slot any more
        }
    }

    @Override
    public Tensor causalConv1d(Tensor x, Tensor w, Tensor bias, Tensor tail, boolean silu) {
        return op(m -> DjlConv1d.run(m, x, w, bias, tail, silu));
    }

    @Override
    public Tensor selectiveScan(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                                Tensor deltaBias, boolean softplus, Tensor h) {
        return op(m -> DjlSelectiveScan.run(m, u, delta, a, bm, cm, d, z, deltaBias, softplus, h));
    }

    @Override
    public Tensor ssd(SsdForm form, int chunk, Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d,
                      Tensor dtBias, boolean softplus, Tensor state) {
        return op(m -> DjlSsd.run(m, form, chunk, x, dt, a, bm, cm, d, dtBias, softplus, state));
    }

    @Override
    public Tensor mlstm(MlstmForm form, int chunk, Tensor q, Tensor k, Tensor v, Tensor ig, Tensor fg,
                        Tensor c, Tensor n, Tensor m, double eps) {
        return op(mg -> DjlMlstm.run(mg, form, chunk, q, k, v, ig, fg, c, n, m, eps));
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor b) { return op(m -> DjlDense.linear(m, x, w, b)); }

    @Override
    public Tensor headwiseLinear(Tensor x, Tensor w, Tensor b) { return HostOps.headwiseLinear(x, w, b); }

    /*
     * Norms without a gate run as host loops (the reference's fp64 formula; LayerNorm with split sums) up to
     * HOST_NORM_MAX elements: a libtorch norm pays two copies and its affine temporaries, and measured
     * 1.3-3.6x slower than the host loop at chunk sizes (197x192: 138 vs 498 us; 256x384 group norm:
     * 386 vs 659 us); at 1024x384 the two were even.
     */
    static final int HOST_NORM_MAX = 1 << 18;

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        if (x.numel() <= HOST_NORM_MAX) return HostOps.groupLayerNorm(x, x.dim(-1), gamma, beta, eps);
        return op(m -> DjlDense.groupLayerNorm(m, x, x.dim(-1), gamma, beta, eps));
    }

    @Override
    public Tensor groupLayerNorm(Tensor x, int groupSize, Tensor gamma, Tensor beta, double eps) {
        if (x.numel() <= HOST_NORM_MAX) return HostOps.groupLayerNorm(x, groupSize, gamma, beta, eps);
        return op(m -> DjlDense.groupLayerNorm(m, x, groupSize, gamma, beta, eps));
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor w, double eps) {
        if (x.numel() <= HOST_NORM_MAX) return HOST.rmsNorm(x, w, eps);
        return op(m -> DjlDense.groupRms(m, x, x.dim(-1), w, eps));
    }

    @Override
    public Tensor groupRmsNorm(Tensor x, int groupSize, Tensor w, double eps) {
        if (x.numel() <= HOST_NORM_MAX) return HOST.groupRmsNorm(x, groupSize, w, eps);
        return op(m -> DjlDense.groupRms(m, x, groupSize, w, eps));
    }

    @Override
    public Tensor gatedRmsNorm(Tensor y, Tensor z, Tensor w, int groupSize, double eps) {
        return op(m -> DjlDense.gatedRms(m, y, z, w, groupSize, eps));
    }

    @Override
    public Tensor silu(Tensor x) {
        return op(m -> {
            NDArray xs = Nd.of(m, x);
            return Nd.toF32(Nd.sigmoid(xs).muli(xs), x.shape());   // in place: one temporary, not two
        });
    }

    /**
     * Elementwise ops and RoPE: the reference's host loops. One or a few flops per element on host
     * tensors, so a libtorch call would spend its time copying (measured 5-20x slower at chunk size).
     */
    @Override
    public Tensor add(Tensor a, Tensor b) { return HOST.add(a, b); }

    @Override
    public Tensor mul(Tensor a, Tensor b) { return HOST.mul(a, b); }

    @Override
    public Tensor axpby(Tensor a, double s, Tensor b, double t) { return HOST.axpby(a, s, b, t); }

    @Override
    public Tensor mulChannels(Tensor a, Tensor v) { return HOST.mulChannels(a, v); }

    @Override
    public Tensor rope(Tensor x, Tensor freq, long[] pos0, double rho) { return HOST.rope(x, freq, pos0, rho); }

    @Override
    public Tensor patchEmbed(Tensor img, Tensor w, Tensor b, int stride) { return op(m -> DjlDense.patchEmbed(m, img, w, b, stride)); }

    @Override
    public Tensor depthwiseConv2d3x3(Tensor x, Tensor w, Tensor b) { return HostOps.depthwise3x3(x, w, b); }

    @Override
    public Tensor bicubicResize(Tensor t, int outH, int outW) { return op(m -> DjlDense.bicubic(m, t, outH, outW)); }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            root.close();
        }
    }
}
