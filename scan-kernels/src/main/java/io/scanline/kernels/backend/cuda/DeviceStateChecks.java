package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.HostMirror;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Carried state kept on the GPU ({@link DeviceStates}) against the reference backend, which moves
 * nothing: chunk after chunk with the same state tensors, no state crosses to the host (counted), the
 * state read on the host at the end equals the reference's, a host write into a state after reading it
 * is what the next op uses, per-image states stacked for a batched call and written back stay on the
 * device, the copies of states nobody refers to are freed, and closing a backend pulls its states back
 * first.
 *
 * <p>Glossary: B images, L tokens of a chunk, E channels, N state size, K conv width, NH/DH mLSTM heads
 * and head dim. Tolerances as {@link CudaConformance#TOL} (fp32 op tolerance; each chunk's state error
 * stays at fp32 rounding, and 3-4 chained chunks stay far below it).
 */
public final class DeviceStateChecks {
    private final CudaBackend cuda;
    private final Backend ref;
    private final RandomTensors r;
    private final List<Comparison> out = new ArrayList<>();

    public DeviceStateChecks(CudaBackend cuda, Backend ref, long seed) {
        this.cuda = cuda;
        this.ref = ref;
        this.r = new RandomTensors(seed);
    }

    /** Every check; empty when the backend moves states per call. */
    public List<Comparison> runAll() {
        if (!cuda.deviceStates()) return out;
        mambaChunks();
        mlstmChunks();
        stacked();
        droppedStatesFreed();
        sums();
        filled();
        return out;
    }

    /**
     * Fresh states filled on the device: no upload, the value is what the host reads back, and a scan from
     * a state filled with zeros equals the reference's from zeros; a state already on the device is refilled
     * in place.
     */
    private void filled() {
        Tensor m = Tensor.full(7f, 2, 3), h = r.normal(0, 1, 1, 8, 4);
        long up0 = cuda.stateUploads();
        cuda.fillState(Float.NEGATIVE_INFINITY, m);
        cuda.fillState(0f, h, null);
        fact("fillState: fresh states filled without an upload", cuda.stateUploads() == up0, "uploads " + (cuda.stateUploads() - up0));
        Tensor[] in = scanInputs(r, 1, 9, 8, 4);
        Tensor y = cuda.selectiveScan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, h);
        Tensor h0 = Tensor.zeros(1, 8, 4);
        Tensor yr = ref.selectiveScan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, h0);
        out.add(Comparison.relative("fillState: a scan from a state zeroed on the device", y, yr, CudaConformance.TOL));
        cuda.fillState(0f, h);   // its device copy is refilled in place
        fact("fillState: a device copy refilled in place", cuda.stateUploads() == up0, "uploads " + (cuda.stateUploads() - up0));
        boolean ok = true;
        for (float v : m.f32()) ok &= v == Float.NEGATIVE_INFINITY;
        for (float v : h.f32()) ok &= v == 0f;
        fact("fillState: the host reads the filled values (−∞, 0)", ok, "m " + java.util.Arrays.toString(m.f32()));
    }

    /**
     * fp64 column sums (a model's running mean) stay on the device across the adds of a pass: one upload,
     * no pull until the host reads them, then equal to the reference's (as {@link CudaConformance}).
     * Without device states the partial sums are added on the host, to the same result.
     */
    private void sums() {
        int[] sh = {2, 300, 77};
        Tensor acc = Tensor.zerosF64(2 * 77);
        long up0 = cuda.stateUploads(), pull0 = cuda.statePulls();
        for (int i = 0; i < 3; i++) cuda.addSumAxis1(r.normal(0, 1, sh[0], sh[1], sh[2]), acc);
        fact("fp64 sums: uploaded once over three adds", cuda.stateUploads() - up0 == 1, "uploads " + (cuda.stateUploads() - up0));
        fact("fp64 sums: not pulled between the adds", cuda.statePulls() == pull0, "pulls " + (cuda.statePulls() - pull0));
        acc.f64();
        fact("fp64 sums: pulled once by the host read", cuda.statePulls() - pull0 == 1, "pulls " + (cuda.statePulls() - pull0));
        double rel = CudaConformance.sumsError(cuda, ref, r, sh);
        fact("fp64 sums on the device against the host loop", rel <= 1e-12, "rel " + rel);
        cuda.setDeviceStates(false);
        try {
            double relHost = CudaConformance.sumsError(cuda, ref, r, sh);
            fact("fp64 sums without device states (partial sums added on the host)", relHost <= 1e-12, "rel " + relHost);
        } finally {
            cuda.setDeviceStates(true);
        }
    }

    /** Copies of states nobody refers to any more are freed (after a collection, at the next op call). */
    private void droppedStatesFreed() {
        int before = cuda.stateCount();
        long up0 = cuda.stateUploads();
        for (int i = 0; i < 3; i++) {
            Tensor[] in = scanInputs(r, 1, 3, 8, 4);
            cuda.selectiveScan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, r.normal(0, 1, 1, 8, 4));
        }
        fact("three new states uploaded", cuda.stateUploads() - up0 == 3, "uploads " + (cuda.stateUploads() - up0));
        CudaConformance.collectUntil(cuda, () -> cuda.stateCount() <= before);
        int last = cuda.stateCount();
        fact("copies of unreachable states are freed", last <= before, "state copies " + last + ", before " + before);
    }

    /**
     * Closing pulls carried state back: a scan on a backend of its own, closed before the state is read,
     * equals the reference. Opens and closes the backend through {@code open}.
     */
    public static Comparison closePullsBack(Supplier<CudaBackend> open, Backend ref, long seed) {
        RandomTensors r = new RandomTensors(seed);
        Tensor[] in = scanInputs(r, 1, 9, 12, 4);
        Tensor h0 = r.normal(0, 1, 1, 12, 4), hc = h0.copy(), hr = h0.copy();
        try (CudaBackend b = open.get()) {
            b.selectiveScan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, hc);
        }
        ref.selectiveScan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, hr);
        return Comparison.relative("state of a closed backend pulled back on close", hc, hr, CudaConformance.TOL);
    }

    private static Tensor[] scanInputs(RandomTensors r, int b, int l, int e, int n) {
        return new Tensor[] {r.normal(0, 1, b, l, e), r.normal(-0.5, 1, b, l, e), r.uniform(-2, -0.05, e, n),
                r.normal(0, 1, b, l, n), r.normal(0, 1, b, l, n), r.normal(0, 1, e), r.normal(0, 1, b, l, e), r.normal(0, 0.5, e)};
    }

    /** Conv tail and SSM state of one Mamba-1 direction over 3 chunks, a host read, a host write, one more chunk. */
    private void mambaChunks() {
        int b = 2, e = 24, n = 16, k = 4;
        Tensor w = r.normal(0, 0.5, e, k), bias = r.normal(0, 1, e);
        Tensor tail = r.normal(0, 1, b, k - 1, e), rtail = tail.copy(), h = r.normal(0, 1, b, e, n), rh = h.copy();
        long up0 = cuda.stateUploads(), pull0 = cuda.statePulls();
        Tensor outs = null, routs = null;
        for (int l : new int[] {5, 1, 33}) {
            Tensor[] in = scanInputs(r, b, l, e, n);
            Tensor xc = cuda.causalConv1d(in[0], w, bias, tail, true), rxc = ref.causalConv1d(in[0], w, bias, rtail, true);
            outs = cuda.selectiveScan(xc, in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, h);
            routs = ref.selectiveScan(rxc, in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, rh);
        }
        fact("two states uploaded once for three chunks", cuda.stateUploads() - up0 == 2, "uploads " + (cuda.stateUploads() - up0));
        fact("no state pulled between chunks", cuda.statePulls() == pull0, "pulls " + (cuda.statePulls() - pull0));
        cmp("device state: last chunk out", outs, routs);
        cmp("device state: tail after 3 chunks", tail, rtail);
        cmp("device state: h after 3 chunks", h, rh);
        fact("host reads pulled each state once", cuda.statePulls() - pull0 == 2, "pulls " + (cuda.statePulls() - pull0));
        h.f32()[0] += 1f;
        rh.f32()[0] += 1f;
        tail.f32()[1] -= 2f;
        rtail.f32()[1] -= 2f;
        Tensor[] in = scanInputs(r, b, 7, e, n);
        Tensor xc = cuda.causalConv1d(in[0], w, bias, tail, true), rxc = ref.causalConv1d(in[0], w, bias, rtail, true);
        cmp("device state: chunk after host writes, out",
                cuda.selectiveScan(xc, in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, h),
                ref.selectiveScan(rxc, in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, rh));
        cmp("device state: chunk after host writes, h", h, rh);
        cmp("device state: chunk after host writes, tail", tail, rtail);
    }

    /** mLSTM C, n, m from the fresh state (m = −∞) over 3 chunks on the device. */
    private void mlstmChunks() {
        int b = 1, nh = 2, dh = 16;
        Tensor c = Tensor.zeros(b, nh, dh, dh), n = Tensor.zeros(b, nh, dh), m = Tensor.full(Float.NEGATIVE_INFINITY, b, nh);
        Tensor rc = c.copy(), rn = n.copy(), rm = m.copy();
        long pull0 = cuda.statePulls();
        Tensor h = null, rhh = null;
        for (int l : new int[] {1, 20, 70}) {
            Tensor q = r.normal(0, 1, b, l, nh, dh), k = r.normal(0, 1, b, l, nh, dh), v = r.normal(0, 1, b, l, nh, dh);
            Tensor ig = r.normal(0, 2, b, l, nh), fg = r.normal(2, 2, b, l, nh);
            h = cuda.mlstm(MlstmForm.CHUNKWISE, 16, q, k, v, ig, fg, c, n, m, 1e-6);
            rhh = ref.mlstm(MlstmForm.CHUNKWISE, 16, q, k, v, ig, fg, rc, rn, rm, 1e-6);
        }
        fact("mLSTM: no state pulled between chunks", cuda.statePulls() == pull0, "pulls " + (cuda.statePulls() - pull0));
        cmp("device state: mLSTM last chunk h", h, rhh);
        cmp("device state: mLSTM C", c, rc);
        cmp("device state: mLSTM n", n, rn);
        out.add(Comparison.stabilizer("device state: mLSTM m", m, rm, CudaConformance.TOL));
    }

    /** Three images' states stacked for one batched scan and written back, twice, without leaving the device. */
    private void stacked() {
        int e = 20, n = 8, imgs = 3;
        List<Tensor> hs = new ArrayList<>(), rhs = new ArrayList<>();
        for (int i = 0; i < imgs; i++) {
            Tensor h = r.normal(0, 1, 1, e, n);
            hs.add(h);
            rhs.add(h.copy());
        }
        long pull0 = cuda.statePulls();
        Tensor y = null, ry = null, st = null;
        for (int l : new int[] {6, 11}) {
            Tensor[] in = scanInputs(r, imgs, l, e, n);
            st = cuda.stackStates(hs);
            Tensor rst = ref.stackStates(rhs);
            y = cuda.selectiveScan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, st);
            ry = ref.selectiveScan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], true, rst);
            cuda.unstackStates(st, hs);
            ref.unstackStates(rst, rhs);
        }
        fact("stacked states: nothing pulled", cuda.statePulls() == pull0, "pulls " + (cuda.statePulls() - pull0));
        fact("stacked states: the stacked copy is dropped after unstacking", HostMirror.of(st) == null, "still held on the device");
        cmp("stacked states: batched out", y, ry);
        for (int i = 0; i < imgs; i++) cmp("stacked states: image " + i + " h", hs.get(i), rhs.get(i));
    }

    private void fact(String name, boolean ok, String note) {
        out.add(new Comparison(name, ok ? 0 : Double.NaN, ok ? 0 : Double.NaN, CudaConformance.TOL, ok, ok ? "" : note));
    }

    private void cmp(String name, Tensor got, Tensor want) {
        out.add(Comparison.relative(name, got, want, CudaConformance.TOL));
    }
}
