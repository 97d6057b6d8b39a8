package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static io.scanline.kernels.backend.djl.DjlTestSupport.close;
import static io.scanline.kernels.backend.djl.DjlTestSupport.closeM;

/**
 * Streaming invariant (spec streaming §2) on djl alone: calls on consecutive chunks with the state
 * carried equal one call on the whole sequence. Cuts include empty chunks, single tokens and odd
 * lengths. Tolerance 1e-5 (spec ops §2, chunked vs whole, same backend); the differences are
 * roundings of the state at call boundaries only.
 */
class DjlChunkInvarianceTest {
    static final double TOL = 1e-5;
    static Backend djl;
    final RandomTensors r = new RandomTensors(5);
    static final int L = 45;
    static final List<int[]> CUTS = Chunks.at(L, 0, 1, 8, 8, 9, 30, 44);

    @BeforeAll
    static void open() { djl = DjlTestSupport.open(); }

    @AfterAll
    static void shut() { djl.close(); }

    static Tensor streamed(Function<int[], Tensor> call) {
        List<Tensor> parts = new ArrayList<>();
        for (int[] c : CUTS) parts.add(call.apply(c));
        return Tensor.concatAxis1(parts);
    }

    static Tensor s(Tensor t, int[] c) { return t == null ? null : t.sliceAxis1(c[0], c[1]); }

    @Test
    void conv() {
        Tensor x = r.normal(0, 1, 2, L, 6), w = r.normal(0, 0.5, 6, 4), b = r.normal(0, 1, 6);
        Tensor t0 = r.normal(0, 1, 2, 3, 6), t1 = t0.copy();
        Tensor whole = djl.causalConv1d(x, w, b, t0, true);
        close("conv", streamed(c -> djl.causalConv1d(s(x, c), w, b, t1, true)), whole, TOL);
        close("conv tail", t1, t0, 0.0);
    }

    @Test
    void selectiveScan() {
        int e = 24, n = 8;
        Tensor u = r.normal(0, 1, 2, L, e), dl = r.normal(-1, 2, 2, L, e), z = r.normal(0, 1, 2, L, e);
        Tensor a = r.uniform(-3, -0.1, e, n), bm = r.normal(0, 1, 2, L, n), cm = r.normal(0, 1, 2, L, n);
        Tensor d = r.normal(0, 1, e), db = r.normal(0, 1, e), h0 = r.normal(0, 1, 2, e, n), h1 = h0.copy();
        Tensor whole = djl.selectiveScan(u, dl, a, bm, cm, d, z, db, true, h0);
        close("scan", streamed(c -> djl.selectiveScan(s(u, c), s(dl, c), a, s(bm, c), s(cm, c), d, s(z, c), db, true, h1)), whole, TOL);
        close("scan state", h1, h0, TOL);
    }

    @Test
    void ssd() {
        int hh = 4, p = 8, n = 16;
        Tensor x = r.normal(0, 1, 2, L, hh, p), dt = r.normal(-1, 2, 2, L, hh), a = r.uniform(-3, -0.1, hh);
        Tensor bm = r.normal(0, 1, 2, L, 1, n), cm = r.normal(0, 1, 2, L, 1, n), d = r.normal(0, 1, hh);
        Tensor s0 = r.normal(0, 1, 2, hh, p, n), s1 = s0.copy();
        Tensor whole = djl.ssd(SsdForm.CHUNKED, 16, x, dt, a, bm, cm, d, null, true, s0);
        close("ssd", streamed(c -> djl.ssd(SsdForm.CHUNKED, 16, s(x, c), s(dt, c), a, s(bm, c), s(cm, c), d, null, true, s1)), whole, TOL);
        close("ssd state", s1, s0, TOL);
    }

    @Test
    void mlstm() {
        int nh = 2, dh = 16;
        Tensor q = r.normal(0, 1, 1, L, nh, dh), k = r.normal(0, 1, 1, L, nh, dh), v = r.normal(0, 1, 1, L, nh, dh);
        Tensor ig = r.normal(0, 3, 1, L, nh), fg = r.normal(2, 3, 1, L, nh);
        Tensor c0 = Tensor.zeros(1, nh, dh, dh), n0 = Tensor.zeros(1, nh, dh), m0 = Tensor.full(Float.NEGATIVE_INFINITY, 1, nh);
        Tensor c1 = c0.copy(), n1 = n0.copy(), m1 = m0.copy();
        Tensor whole = djl.mlstm(MlstmForm.CHUNKWISE, 16, q, k, v, ig, fg, c0, n0, m0, 1e-6);
        Tensor str = streamed(c -> djl.mlstm(MlstmForm.CHUNKWISE, 16, s(q, c), s(k, c), s(v, c), s(ig, c), s(fg, c), c1, n1, m1, 1e-6));
        close("mlstm", str, whole, TOL);
        close("mlstm C", c1, c0, TOL);
        close("mlstm n", n1, n0, TOL);
        closeM("mlstm m", m1, m0, TOL);
    }
}
