package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Every op of the cuda backend against {@link io.scanline.kernels.backend.reference.ReferenceBackend}
 * on seeded random inputs, including awkward shapes: L = 1 and L = 0, odd widths, lengths at ±1 of the
 * kernels' tiles (scan: 32-token B/C tiles, 8-token prefetch; mLSTM: 64-token chunks; GEMM: 64×64×16),
 * forced small scan chunks (so the chunk-state/combine path runs at small sizes), non-zero initial
 * states, m = −∞; plus chunked-with-carried-state against whole on cuda itself.
 *
 * <p>Glossary: B batch, L tokens, E/C channels, N state size, H/P/G heads/head dim/groups,
 * NH/DH mLSTM heads/head dim.
 *
 * <p>Tolerance (max|out − ref| / max|ref|, spec ops §2): 1e-5 for every output and state, the op
 * cases' fp32 tolerance; the mLSTM stabilizer m at absolute 1e-5·max(1,|m|), −∞ exactly. The
 * kernels use fp32 with the hardware exp2/div approximations (a few ulp), which stays far below.
 * Runs in a few seconds on the reference side (sizes are kept small for that).
 */
public final class CudaConformance {
    static final double TOL = 1e-5;

    private final Backend cuda;
    private final CudaOps ops; // null when the backend under test is not this one
    private final IntConsumer scanChunk;
    private final Backend ref;
    private final RandomTensors r;
    private final List<Comparison> out = new ArrayList<>();

    public CudaConformance(CudaBackend cuda, Backend ref, long seed) {
        this(cuda, cuda.ops(), cuda.ops()::setScanChunkLen, ref, seed);
    }

    /**
     * @param fast      the backend under test
     * @param scanChunk forces its scan chunk length (0 = automatic); a no-op for backends without one
     */
    public CudaConformance(Backend fast, IntConsumer scanChunk, Backend ref, long seed) {
        this(fast, null, scanChunk, ref, seed);
    }

    private CudaConformance(Backend fast, CudaOps ops, IntConsumer scanChunk, Backend ref, long seed) {
        this.cuda = fast;
        this.ops = ops;
        this.scanChunk = scanChunk;
        this.ref = ref;
        this.r = new RandomTensors(seed);
    }

    /** Runs every check; returns one comparison per compared tensor. */
    public List<Comparison> runAll() {
        conv();
        scan();
        ssd();
        mlstm();
        dense();
        resident();
        onePass();
        ssdCut();
        sums();
        columns();
        rowsByPosition();
        scanTail();
        return out;
    }

    /**
     * The Mamba-1 scan cut into chunks whose state pass walks from each chunk's end (the default,
     * {@link CudaOps.ScanState#BACKWARD}) on fast decays (δ near 1.3-3.3, A in [-2, -1]: the weight of the
     * tokens before falls below 2^-32 within two 32-token steps, so in chunks of 200-333 tokens the walk stops
     * early; the emulator check counts the stops), and on the same inputs with the forward pass: widths 8, 16 and
     * 64, two channel blocks, no z/D; out and state against the reference. Last in {@link #runAll}, so the earlier
     * cases keep their random inputs.
     */
    private void scanTail() {
        // the last two by the automatic rule, whose chunks at width 16 go to the one-pass output build: 46 chunks of 66
        // tokens, and 11 of 364 (the walks stop in them)
        int[][] shapes = {{1, 1000, 40, 16, 300, 1}, {2, 700, 130, 16, 250, 1}, {1, 900, 33, 64, 200, 1}, {1, 650, 36, 5, 325, 0},
                {1, 3000, 40, 16, 0, 1}, {1, 4000, 6000, 16, 0, 1}};
        for (int[] s : shapes) {
            int b = s[0], l = s[1], e = s[2], n = s[3], chunk = s[4];
            boolean full = s[5] == 1;
            Tensor u = r.normal(0, 1, b, l, e), dl = r.uniform(1, 3, b, l, e), z = full ? r.normal(0, 1, b, l, e) : null;
            Tensor a = r.uniform(-2, -1, e, n), bm = r.normal(0, 1, b, l, n), cm = r.normal(0, 1, b, l, n);
            Tensor d = full ? r.normal(0, 1, e) : null, db = r.normal(0, 0.3, e), h0 = r.normal(0, 1, b, e, n);
            Tensor h2 = h0.copy();
            Tensor want = ref.selectiveScan(u, dl, a, bm, cm, d, z, db, true, h2);
            String tag = String.format("scan fast decay B%d L%d E%d N%d chunk%d", b, l, e, n, chunk);
            java.util.function.Consumer<String> check = pass -> {
                Tensor h1 = h0.copy();
                cmp(tag + pass + " out", cuda.selectiveScan(u, dl, a, bm, cm, d, z, db, true, h1), want);
                cmp(tag + pass + " state", h1, h2);
            };
            scanChunk.accept(chunk);
            try {
                if (ops == null) check.accept("");
                else for (CudaOps.ScanState pass : CudaOps.ScanState.values()) {
                    CudaOps.ScanState was = ops.setScanState(pass);
                    try {
                        check.accept(" " + pass.name().toLowerCase(java.util.Locale.ROOT) + " state pass");
                    } finally {
                        ops.setScanState(was);
                    }
                }
            } finally {
                scanChunk.accept(0);
            }
        }
    }

    /**
     * Column splits of a resident output stay on the device and equal the host copy: Adventurer's
     * [z | xBC | dt] split at odd widths, batch 2, rank 4, one column, none, all of them, a split of a
     * split, a row count past one grid-stride sweep, and a host tensor (split on the host).
     */
    private void columns() {
        Tensor x = r.normal(0, 1, 2, 37, 301);
        for (int[] ft : new int[][] {{0, 128}, {128, 298}, {298, 301}, {300, 301}, {5, 5}, {0, 301}}) {
            Tensor res = cuda.silu(x), got = cuda.columns(res, ft[0], ft[1]);
            String tag = "columns [" + ft[0] + ", " + ft[1] + ") of a resident (2, 37, 301)";
            fact(tag + " stays on the device", got.deferred() != null && res.deferred() != null, "copied to the host");
            cmp(tag, got, res.columns(ft[0], ft[1]));
        }
        Tensor x4 = cuda.silu(r.normal(0, 1, 2, 5, 3, 10));
        cmp("columns of a resident rank 4", cuda.columns(x4, 3, 9), x4.columns(3, 9));
        Tensor res = cuda.silu(x), twice = cuda.columns(cuda.columns(res, 7, 200), 11, 50);
        cmp("columns of columns", twice, res.columns(18, 57));
        Tensor tall = cuda.silu(r.normal(0, 1, 1, 70_001, 40));   // 70,001 rows: more than the 132·32·8 warps of one sweep
        cmp("columns [4, 37) of (1, 70001, 40)", cuda.columns(tall, 4, 37), tall.columns(4, 37));
        Tensor host = r.normal(0, 1, 2, 6, 11);
        cmp("columns of a host tensor", cuda.columns(host, 2, 9), host.columns(2, 9));
        boolean rejected;
        try {
            cuda.columns(cuda.silu(x), 200, 302);
            rejected = false;
        } catch (IndexOutOfBoundsException expected) {
            rejected = true;
        }
        fact("columns past the last channel are rejected", rejected, "no error");
    }

    /**
     * A device store made by zeros and filled by scatters at shuffled positions (ARM's column order) reads
     * back, by gathers and slices, as the same store kept on the host; batch 2, odd width, one row, none,
     * resident and host rows; duplicate positions are rejected before any launch.
     */
    private void rowsByPosition() {
        int b = 2, l = 45, w = 7;
        Tensor store = cuda.zeros(b, l, w), host = Tensor.zeros(b, l, w);
        fact("zeros of a store stay on the device", store.deferred() != null, "made on the host");
        int[] perm = new int[l];
        java.util.Random rnd = new java.util.Random(3);
        for (int i = 0; i < l; i++) perm[i] = i;
        for (int i = l - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int[] ab : new int[][] {{0, 7}, {7, 8}, {8, 8}, {8, 30}, {30, 45}}) {
            int[] idx = java.util.Arrays.copyOfRange(perm, ab[0], ab[1]);
            Tensor x = r.normal(0, 1, b, idx.length, w);
            Tensor rows = ab[0] == 8 ? x : cuda.silu(x);       // one of them from the host
            Tensor hostRows = ab[0] == 8 ? x : ref.silu(x);
            cuda.scatterAxis1(store, idx, rows);
            host.scatterAxis1(idx, hostRows);
        }
        fact("scatter keeps the store on the device", store.deferred() != null, "store copied to the host");
        int[] some = {44, 0, 13, 12, 2};
        cmp("gather of 5 shuffled rows of a scattered store", cuda.gatherAxis1(store, some), host.gatherAxis1(some));
        cmp("gather of one row", cuda.gatherAxis1(store, new int[] {31}), host.gatherAxis1(new int[] {31}));
        cmp("slice of a scattered store", cuda.sliceAxis1(store, 3, 40), host.sliceAxis1(3, 40));
        Tensor plain = r.normal(0, 1, 3, 9, 4);
        cmp("gather of a host tensor", cuda.gatherAxis1(plain, new int[] {8, 1}), plain.gatherAxis1(new int[] {8, 1}));
        boolean rejected;
        try {
            cuda.scatterAxis1(store, new int[] {5, 5}, r.normal(0, 1, b, 2, w));
            rejected = false;
        } catch (IllegalArgumentException expected) {
            rejected = true;
        }
        fact("scatter rejects a position given twice", rejected, "no error");
        cmp("the whole store after all scatters", store, host);
    }

    /**
     * fp64 column sums over axis 1 (a model's running mean) against the reference's host loop: one token,
     * lengths off the 128-token segments, a long chunk of model width, two images; added twice onto nonzero
     * sums, the way a pass adds chunk after chunk (on cuda the sums stay on the device in between:
     * {@link DeviceStateChecks}). Both sides add fp64 values in different orders: held to 1e-12 of the
     * largest sum.
     */
    private void sums() {
        for (int[] sh : new int[][] {{1, 1, 5}, {2, 300, 77}, {1, 4097, 768}, {3, 129, 33}}) {
            String name = String.format("addSumAxis1 B%d L%d D%d (fp64)", sh[0], sh[1], sh[2]);
            double rel = sumsError(cuda, ref, r, sh);
            fact(name, rel <= 1e-12, "rel " + rel);
        }
    }

    /** Relative error of {@code fast}'s fp64 column sums (two adds onto nonzero sums) against {@code ref}'s. */
    static double sumsError(Backend fast, Backend ref, RandomTensors r, int[] sh) {
        Tensor x = r.normal(0.5, 1, sh[0], sh[1], sh[2]), x2 = r.normal(-0.25, 2, sh[0], sh[1], sh[2]);
        double[] init = new double[sh[0] * sh[2]];
        for (int i = 0; i < init.length; i++) init[i] = i * 0.25;
        Tensor a = Tensor.of(init.clone(), init.length), w = Tensor.of(init.clone(), init.length);
        fast.addSumAxis1(x, a);
        fast.addSumAxis1(x2, a);
        ref.addSumAxis1(x, w);
        ref.addSumAxis1(x2, w);
        double[] got = a.f64(), want = w.f64();
        double worst = 0, scale = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return worst / Math.max(scale, 1e-300);
    }

    /** A pass/fail fact that is not a tensor comparison. */
    private void fact(String name, boolean ok, String note) {
        out.add(new Comparison(name, ok ? 0 : Double.NaN, ok ? 0 : Double.NaN, TOL, ok, ok ? "" : note));
    }

    /**
     * Device-resident outputs fed back as inputs: a chain of ops stays on the device (no host copy
     * until read), equals the reference chain, reshapes are read in place, a tensor the host wrote into
     * after reading is taken from the host (the stale device copy is not used), and the resident
     * bytes go back to zero once nothing refers to the outputs.
     */
    private void resident() {
        if (!(cuda instanceof CudaBackend cb) || !cb.residentOutputs()) return;
        residentChain();
        residentConcat();
        residentScope();
        // the chain's outputs are unreachable now: collections plus an op call (which drains) free them
        collectUntil(cuda, () -> cb.residentBytes() <= 4096);
        long last = cb.residentBytes();
        fact("unreachable resident outputs are freed", last <= 4096, "still resident: " + last + " bytes");
    }

    /**
     * Up to 20 rounds of a collection, a short wait for the reference queues and an op call on
     * {@code be} (op calls free what the collector found), until {@code done}.
     */
    static void collectUntil(Backend be, java.util.function.BooleanSupplier done) {
        for (int i = 0; i < 20 && !done.getAsBoolean(); i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
            be.silu(Tensor.zeros(1, 1, 4)); // its 16-byte output is garbage at once
        }
    }

    private void residentChain() {
        Tensor x = r.normal(0, 1, 2, 37, 48), w1 = r.normal(0, 0.2, 64, 48), wg = r.normal(0, 0.2, 64, 48);
        Tensor w2 = r.normal(0, 0.2, 48, 64), gamma = r.normal(1, 0.2, 48);
        Tensor a = cuda.linear(x, w1, null), b = cuda.silu(a), c = cuda.mul(b, cuda.linear(x, wg, null));
        Tensor d = cuda.add(cuda.linear(c, w2, null), x), e = cuda.tanh(cuda.rmsNorm(d, gamma, 1e-6));
        Tensor e2 = cuda.silu(e.reshape(74, 48));
        boolean stayed = a.deferred() != null && b.deferred() != null && c.deferred() != null && d.deferred() != null
                && e.deferred() != null && e2.deferred() != null;
        fact("resident chain stays on the device until read", stayed, "an intermediate was copied to the host");
        Tensor ra = ref.linear(x, w1, null), rb = ref.silu(ra), rc = ref.mul(rb, ref.linear(x, wg, null));
        Tensor rd = ref.add(ref.linear(rc, w2, null), x), re = ref.tanh(ref.rmsNorm(rd, gamma, 1e-6));
        // seven ops chained, each within the op tolerance: their errors add up, hence 5x
        out.add(Comparison.relative("resident chain linear-silu-mul-linear-add-rms-tanh", e, re, 5 * TOL));
        cmp("resident reshape read in place", e2, ref.silu(re.reshape(74, 48)));
        float[] host = a.f32();
        host[0] += 3f;
        fact("host read materializes", a.deferred() == null, "still deferred after f32()");
        cmp("host write after read is used", cuda.silu(a), ref.silu(a));
        Tensor v = cuda.axpby(gamma, 2.0, null, 0.0);
        cmp("resident as constant operand (mulChannels vector)", cuda.mulChannels(d, v), ref.mulChannels(rd, ref.axpby(gamma, 2.0, null, 0.0)));
    }

    /**
     * concatAxis1 on the device: resident and host parts mixed, an empty part, batch 2 (strided
     * copies), a rank-4 case; the result stays resident and equals the host concatenation.
     */
    private void residentConcat() {
        Tensor a = cuda.silu(r.normal(0, 1, 2, 5, 6)), c = cuda.silu(r.normal(0, 1, 2, 1, 6));
        Tensor empty = Tensor.zeros(2, 0, 6), host = r.normal(0, 1, 2, 3, 6);
        Tensor joined = cuda.concatAxis1(List.of(a, empty, host, c));
        fact("concat of resident parts stays on the device", joined.deferred() != null, "result was copied to the host");
        fact("concat parts stay resident", a.deferred() != null && c.deferred() != null, "a part was copied to the host");
        cmp("concat (B2, mixed resident/host, empty part)", joined, Tensor.concatAxis1(List.of(a, empty, host, c)));
        Tensor p4 = cuda.silu(r.normal(0, 1, 1, 4, 2, 3)), q4 = r.normal(0, 1, 1, 2, 2, 3);
        cmp("concat rank 4", cuda.concatAxis1(List.of(p4, q4, p4)), Tensor.concatAxis1(List.of(p4, q4, p4)));
        // slices of a resident output stay on the device: batch 2 (strided rows), rank 4, empty, whole,
        // one at the end, a slice of a slice, and a host tensor (sliced on the host). Each case slices a
        // fresh output, since reading one on the host (the expected value) ends its residency.
        Tensor x3 = r.normal(0, 1, 2, 9, 5), x4 = r.normal(0, 1, 2, 4, 3, 6), host3 = r.normal(0, 1, 2, 9, 5);
        for (int[] ft : new int[][] {{0, 9}, {2, 7}, {8, 9}, {4, 4}, {0, 1}}) {
            Tensor res = cuda.silu(x3), got = cuda.sliceAxis1(res, ft[0], ft[1]);
            fact("slice [" + ft[0] + ", " + ft[1] + ") stays on the device", got.deferred() != null && res.deferred() != null, "copied to the host");
            cmp("slice [" + ft[0] + ", " + ft[1] + ") of a resident (2, 9, 5)", got, res.sliceAxis1(ft[0], ft[1]));
            cmp("slice [" + ft[0] + ", " + ft[1] + ") of a host (2, 9, 5)", cuda.sliceAxis1(host3, ft[0], ft[1]), host3.sliceAxis1(ft[0], ft[1]));
        }
        Tensor res4 = cuda.silu(x4), got4 = cuda.sliceAxis1(res4, 1, 3);
        cmp("slice of a resident rank 4", got4, res4.sliceAxis1(1, 3));
        Tensor res3 = cuda.silu(x3), twice = cuda.sliceAxis1(cuda.sliceAxis1(res3, 1, 8), 2, 5);
        cmp("slice of a slice", twice, res3.sliceAxis1(3, 6));
        // flips of a resident output stay on the device: batch 2, rank 4, one token, no token, a flip
        // of a flip, a flip feeding another op, and a host tensor (flipped on the host)
        for (Tensor x : List.of(x3, x4, r.normal(0, 1, 3, 1, 7), r.normal(0, 1, 2, 0, 4))) {
            Tensor res = cuda.silu(x), got = cuda.flipAxis1(res);
            fact("flip of " + java.util.Arrays.toString(x.shape()) + " stays on the device",
                    got.deferred() != null && res.deferred() != null, "copied to the host");
            cmp("flip of a resident " + java.util.Arrays.toString(x.shape()), got, res.flipAxis1());
        }
        Tensor resF = cuda.silu(x3);
        cmp("flip of a flip", cuda.flipAxis1(cuda.flipAxis1(resF)), resF);
        cmp("flip then silu", cuda.silu(cuda.flipAxis1(cuda.silu(x3))), ref.silu(ref.silu(x3).flipAxis1()));
        cmp("flip of a host (2, 9, 5)", cuda.flipAxis1(host3), host3.flipAxis1());
        boolean rejected;
        try {
            cuda.concatAxis1(List.of(cuda.silu(r.normal(0, 1, 1, 2, 6)), r.normal(0, 1, 1, 2, 5)));
            rejected = false;
        } catch (IllegalArgumentException expected) {
            rejected = true;
        }
        fact("concat rejects parts that differ beyond axis 1", rejected, "no error");
    }

    /**
     * Op scopes: outputs made inside and not kept are freed when the scope closes (exactly their bytes),
     * the kept one stays correct, a freed one fails clearly when read or used as an op input, and a
     * tensor kept by an inner scope lives until its outer scope closes.
     */
    private void residentScope() {
        CudaBackend cb = (CudaBackend) cuda;
        Tensor x = r.normal(0, 1, 2, 33, 40), w = r.normal(0, 0.2, 40, 40);
        OpScope scope = cuda.opScope();
        Tensor a = cuda.linear(x, w, null), b = cuda.silu(a), kept = scope.keep(cuda.add(b, x));
        long beforeClose = cb.residentBytes();
        scope.close();
        long freed = beforeClose - cb.residentBytes();
        fact("op scope frees what it made and did not keep, at once", freed == a.bytes() + b.bytes(),
                "freed " + freed + " bytes, expected " + (a.bytes() + b.bytes()));
        cmp("op scope: the kept output", kept, ref.add(ref.silu(ref.linear(x, w, null)), x));
        fact("op scope: reading a freed output fails", failsWithState(a::f32), "no error");
        fact("op scope: a freed output as op input fails", failsWithState(() -> cuda.silu(b)), "no error");
        Tensor inner;
        try (OpScope outer = cuda.opScope()) {
            try (OpScope in = cuda.opScope()) {
                inner = in.keep(cuda.silu(x));
            }
            cmp("op scope: kept from an inner scope, used in the outer", cuda.silu(inner), ref.silu(ref.silu(x)));
        }
        fact("op scope: the outer scope frees what the inner kept", failsWithState(() -> cuda.silu(inner)), "no error");

        // release: outputs that outlived their scope (a pass's window rows) freed at once, with every reshape of them
        Tensor held = cuda.silu(x), view = held.reshape(2 * 33, 40), other = cuda.silu(held);
        long beforeRelease = cb.residentBytes();
        cuda.release(view, null, x);
        fact("release frees the output's device bytes at once", beforeRelease - cb.residentBytes() == held.bytes(),
                "freed " + (beforeRelease - cb.residentBytes()) + " bytes, expected " + held.bytes());
        fact("release: reading a released output fails", failsWithState(held::f32), "no error");
        fact("release: a released output as op input fails", failsWithState(() -> cuda.silu(view)), "no error");
        cmp("release: outputs made from it before are untouched", other, ref.silu(ref.silu(x)));
    }

    private static boolean failsWithState(Runnable r) {
        try {
            r.run();
            return false;
        } catch (IllegalStateException expected) {
            return expected.getMessage() != null && expected.getMessage().contains("op scope");
        }
    }

    private void cmp(String name, Tensor got, Tensor want) {
        out.add(Comparison.relative(name, got, want, TOL));
    }

    // ------------------------------------------------------------------ conv1d

    private void conv() {
        int[][] shapes = {{1, 1, 8, 4}, {2, 5, 33, 4}, {2, 2, 16, 4}, {3, 70, 40, 3}, {2, 0, 8, 4}, {1, 9, 6, 1}};
        for (int[] s : shapes) {
            int b = s[0], l = s[1], c = s[2], k = s[3];
            Tensor x = r.normal(0, 1, b, l, c), w = r.normal(0, 0.5, c, k), bias = r.normal(0, 1, c);
            Tensor tail = r.normal(0, 1, b, k - 1, c);
            for (boolean silu : new boolean[] {false, true}) {
                String tag = String.format("conv1d B%d L%d C%d K%d silu=%s", b, l, c, k, silu);
                Tensor t1 = tail.copy(), t2 = tail.copy();
                cmp(tag + " out", cuda.causalConv1d(x, w, silu ? bias : null, t1, silu), ref.causalConv1d(x, w, silu ? bias : null, t2, silu));
                cmp(tag + " tail", t1, t2);
            }
            if (l >= 3) {
                Tensor tw = tail.copy(), tc = tail.copy();
                Tensor whole = cuda.causalConv1d(x, w, bias, tw, true);
                int cut = l / 3;
                Tensor y = Tensor.concatAxis1(List.of(cuda.causalConv1d(x.sliceAxis1(0, cut), w, bias, tc, true),
                        cuda.causalConv1d(x.sliceAxis1(cut, cut + 1), w, bias, tc, true),
                        cuda.causalConv1d(x.sliceAxis1(cut + 1, l), w, bias, tc, true)));
                cmp(String.format("conv1d B%d L%d chunked==whole out", b, l), y, whole);
                cmp(String.format("conv1d B%d L%d chunked==whole tail", b, l), tc, tw);
            }
        }
    }

    // ------------------------------------------------------------------ selective scan

    private void scan() {
        // b, l, e, n, forced scan chunk (0 = automatic, LANES / BLOCK = single-pass kernels), withZ/D (1/0)
        final int lanes = CudaOps.LANES, block = CudaOps.BLOCK;
        int[][] shapes = {
                {1, 1, 8, 4, 0, 1}, {2, 7, 48, 16, 0, 1}, {3, 130, 33, 64, 0, 1}, {1, 300, 40, 5, 0, 0},
                {2, 0, 8, 16, 0, 1}, {1, 31, 16, 16, 0, 1}, {1, 33, 16, 16, 0, 1}, {2, 65, 24, 16, 7, 1},
                {1, 200, 130, 64, 32, 1}, {2, 97, 20, 16, 33, 0}, {1, 129, 8, 8, 1, 1},
                // lanes kernel: one token, tile boundaries (32 ± 1), channel counts off its 8-channel
                // blocks, N below the 64-wide register layout, no z/D, and the automatic choice (B·E >= 3072)
                {1, 1, 8, 64, lanes, 1}, {3, 130, 33, 64, lanes, 1}, {2, 31, 20, 40, lanes, 0}, {1, 33, 9, 17, lanes, 1},
                {1, 64, 16, 64, lanes, 1}, {2, 0, 8, 64, lanes, 1}, {2, 45, 1600, 64, 0, 1},
                // block kernel (forced only): one token, its 256-token tile ± 1, channels off its 16-channel
                // blocks and not a multiple of 4, N below 16, no z/D
                {1, 1, 8, 16, block, 1}, {2, 255, 33, 16, block, 1}, {1, 257, 17, 5, block, 0}, {3, 300, 7, 1, block, 1},
                {1, 513, 48, 16, block, 1}, {2, 0, 16, 16, block, 1}, {4, 1100, 1600, 16, 0, 1}};
        scanShapes(shapes);
        // no softplus, no delta bias
        Tensor u = r.normal(0, 1, 2, 19, 12), dl = r.uniform(0.01, 1, 2, 19, 12), a = r.uniform(-1, -0.1, 12, 16);
        Tensor bm = r.normal(0, 1, 2, 19, 16), cm = r.normal(0, 1, 2, 19, 16);
        Tensor h1 = Tensor.zeros(2, 12, 16), h2 = Tensor.zeros(2, 12, 16);
        cmp("scan no-softplus out", cuda.selectiveScan(u, dl, a, bm, cm, null, null, null, false, h1),
                ref.selectiveScan(u, dl, a, bm, cm, null, null, null, false, h2));
        cmp("scan no-softplus state", h1, h2);
    }

    /**
     * The one-pass builds at state width 16 (B·E >= 128 channels per SM, SSD 256): token counts off their
     * 8-token groups and 32-token steps, channels off their 128-channel blocks, N below 16, no z/D, a scan
     * between the two thresholds (one block per SM on 132 SMs), and an SSD with G = 3 (its δ shared per
     * head). Run last, so the earlier cases keep the random inputs they had before these existed.
     */
    private void onePass() {
        scanShapes(new int[][] {{3, 77, 12000, 16, 0, 1}, {2, 40, 17001, 12, 0, 0}, {1, 50, 17000, 16, 0, 1}});
        ssdShapes(new int[][] {{2, 77, 300, 64, 3, 13, 0}});
    }

    /** Each shape {b, l, e, n, forced chunk, withZ/D}: out and state vs the reference, chunked == whole. */
    private void scanShapes(int[][] shapes) {
        for (int[] s : shapes) {
            int b = s[0], l = s[1], e = s[2], n = s[3], chunk = s[4];
            boolean full = s[5] == 1;
            Tensor u = r.normal(0, 1, b, l, e), dl = r.normal(-0.5, 1, b, l, e), z = full ? r.normal(0, 1, b, l, e) : null;
            Tensor a = r.uniform(-2, -0.05, e, n), bm = r.normal(0, 1, b, l, n), cm = r.normal(0, 1, b, l, n);
            Tensor d = full ? r.normal(0, 1, e) : null, db = r.normal(0, 0.5, e), h0 = r.normal(0, 1, b, e, n);
            if (l > 2) dl.f32()[3] = 25f;  // a Δ past the softplus threshold
            String tag = String.format("scan B%d L%d E%d N%d chunk%d%s", b, l, e, n, chunk, full ? "" : " noZ/D");
            scanChunk.accept(chunk);
            try {
                Tensor h1 = h0.copy(), h2 = h0.copy();
                cmp(tag + " out", cuda.selectiveScan(u, dl, a, bm, cm, d, z, db, true, h1),
                        ref.selectiveScan(u, dl, a, bm, cm, d, z, db, true, h2));
                cmp(tag + " state", h1, h2);
                if (l >= 4) {
                    Tensor hw = h0.copy(), hc = h0.copy();
                    Tensor whole = cuda.selectiveScan(u, dl, a, bm, cm, d, z, db, true, hw);
                    List<Tensor> parts = new ArrayList<>();
                    int[] cuts = {0, 1, l / 2, l / 2, l};
                    for (int i = 0; i + 1 < cuts.length; i++) {
                        int p0 = cuts[i], p1 = cuts[i + 1];
                        parts.add(cuda.selectiveScan(u.sliceAxis1(p0, p1), dl.sliceAxis1(p0, p1), a, bm.sliceAxis1(p0, p1),
                                cm.sliceAxis1(p0, p1), d, z == null ? null : z.sliceAxis1(p0, p1), db, true, hc));
                    }
                    cmp(tag + " chunked==whole out", Tensor.concatAxis1(parts), whole);
                    cmp(tag + " chunked==whole state", hc, hw);
                }
            } finally {
                scanChunk.accept(0);
            }
        }
    }

    // ------------------------------------------------------------------ SSD

    private void ssd() {
        // b, l, heads, p, g, n, forced chunk
        int[][] shapes = {{1, 1, 2, 16, 1, 16, 0}, {2, 37, 4, 8, 2, 64, 0}, {1, 257, 3, 5, 1, 16, 0},
                {2, 100, 8, 16, 1, 64, 16}, {1, 0, 2, 4, 1, 16, 0}, {1, 65, 2, 32, 1, 8, 33},
                // N <= 16: where the segment SSD would need chunks (4 blocks, 1000 tokens) the chunk-parallel
                // body runs; the segment SSD with a forced chunk off its 64-token tile and P off its 32-wide
                // block, and with G = 2 and 64 head dims
                {1, 1000, 2, 64, 2, 16, 0}, {2, 300, 3, 33, 1, 5, 100}, {1, 130, 2, 64, 1, 16, 64}};
        ssdShapes(shapes);
    }

    /**
     * The SSD cut into chunks by the chunk-parallel body (state pass, then the output pass) with its
     * automatic chunks ({@link CudaOps#SSD_BODY}: at these sizes the automatic rule would run the segment
     * kernel): at width 16 few blocks, chunks of over 512 tokens (4 and 6 of them), one ending mid-step; at
     * width 64 with N = 40 (three state quarters of the tensor-core state pass, 45 chunks) and N = 64 (the
     * output pass on tensor cores too, G = 2, P 40 off its 64-wide block); then at width 8 by the automatic
     * rule (46 chunks of 66 tokens); then the first four shapes again with the other passes (the defaults are
     * ssd_state_mma and, at N 64, ssd_out_mma_n64 on tensor cores, the others the scalar kernels); then the
     * rule's choices. Last in {@link #runAll} but for the sums, so the earlier cases keep their random inputs.
     */
    private void ssdCut() {
        int body = CudaOps.SSD_BODY;
        int[][] wide = {{1, 2500, 2, 64, 1, 16, body}, {2, 3100, 3, 24, 1, 13, body}, {1, 2900, 2, 64, 1, 40, 0},
                {2, 1300, 4, 40, 2, 64, 0}};
        ssdShapes(wide);
        ssdShapes(new int[][] {{1, 3000, 2, 64, 1, 8, 0}});
        if (ops == null) return;
        ops.setScanChunkLen(body);
        try {
            for (int[] sh : wide) {
                fact(String.format("ssd B%d L%d H%d P%d N%d runs a chunked state pass", sh[0], sh[1], sh[2], sh[3], sh[5]),
                        ops.ssdRunsStatePass(sh[0], sh[1], sh[2], sh[3], sh[4], sh[5]), "the body no longer cuts this shape");
            }
        } finally {
            ops.setScanChunkLen(0);
        }
        fact("ssd B1 L3000 H2 P64 N8 runs a chunked state pass", ops.ssdRunsStatePass(1, 3000, 2, 64, 1, 8),
                "the launch rule no longer cuts this shape");
        fact("ssd B8 L65536 H24 P64 N16 runs the body cut into chunks", ops.ssdRunsStatePass(8, 65536, 24, 64, 1, 16),
                "the launch rule gives it the segment kernel");
        fact("ssd B1 L4096 H12 P64 N16 runs the segment kernel", !ops.ssdRunsStatePass(1, 4096, 12, 64, 1, 16),
                "the launch rule cuts it in the body");
        fact("ssd N64 output pass on tensor cores by default", ops.ssdOutOnTensorCores(64) && !ops.ssdOutOnTensorCores(40),
                "the output pass choice changed");
        CudaOps.SsdState auto = ops.setSsdState(CudaOps.SsdState.AUTO);
        try {
            fact("ssd auto state pass: tensor cores at N16 in short chunks, backward in long ones and at N64",
                    ops.ssdStatePass(16, CudaOps.SSD_BACKWARD_MIN_CHUNK - 1) == CudaOps.SsdState.MMA
                            && ops.ssdStatePass(16, CudaOps.SSD_BACKWARD_MIN_CHUNK) == CudaOps.SsdState.BACKWARD
                            && ops.ssdStatePass(64, 32) == CudaOps.SsdState.BACKWARD, "the AUTO rule changed");
        } finally {
            ops.setSsdState(auto);
        }
        fact("scan B1 L1048576 E1536 N16 runs a chunked state pass, B44 L65536 E1536 one pass",
                ops.scanRunsStatePass(1, 1 << 20, 1536, 16) && !ops.scanRunsStatePass(44, 65536, 1536, 16),
                "the launch rule changed");
        // every state pass the backend was not configured with (the backward one: at width 16 its chunks of over 500
        // tokens are past the decay, so its walks stop early), the scalar one with the other output pass
        CudaOps.SsdState was = ops.setSsdState(CudaOps.SsdState.SCALAR);
        CudaOps.SsdOut wasOut = ops.setSsdOut(CudaOps.SsdOut.SCALAR);
        try {
            for (CudaOps.SsdState other : CudaOps.SsdState.values()) {
                if (other == was) continue;
                ops.setSsdState(other);
                ops.setSsdOut(other == CudaOps.SsdState.SCALAR ? (wasOut == CudaOps.SsdOut.SCALAR ? CudaOps.SsdOut.MMA : CudaOps.SsdOut.SCALAR) : wasOut);
                ssdShapes(other.name().toLowerCase(java.util.Locale.ROOT) + " state pass " + (other == CudaOps.SsdState.SCALAR
                        ? ops.ssdOutOnTensorCores(64) ? "mma out " : "scalar out " : ""), wide);
            }
        } finally {
            ops.setSsdState(was);
            ops.setSsdOut(wasOut);
        }
    }

    private void ssdShapes(int[][] shapes) {
        ssdShapes("", shapes);
    }

    /** Each shape {b, l, heads, p, g, n, forced chunk}: y and state of every form, chunked == whole. */
    private void ssdShapes(String note, int[][] shapes) {
        for (int[] s : shapes) {
            int b = s[0], l = s[1], hh = s[2], p = s[3], g = s[4], n = s[5], chunk = s[6];
            Tensor x = r.normal(0, 1, b, l, hh, p), dt = r.normal(-1, 1, b, l, hh), a = r.uniform(-2, -0.2, hh);
            Tensor bm = r.normal(0, 1, b, l, g, n), cm = r.normal(0, 1, b, l, g, n);
            Tensor d = r.normal(0, 1, hh), dtb = r.normal(0, 0.5, hh), s0 = r.normal(0, 1, b, hh, p, n);
            String tag = note + String.format("ssd B%d L%d H%d P%d G%d N%d %s", b, l, hh, p, g, n,
                    chunk == CudaOps.SSD_BODY ? "body" : "chunk" + chunk);
            scanChunk.accept(chunk);
            try {
                for (SsdForm f : SsdForm.values()) {
                    Tensor st1 = s0.copy(), st2 = s0.copy();
                    cmp(tag + " " + f + " y", cuda.ssd(f, 64, x, dt, a, bm, cm, d, dtb, true, st1),
                            ref.ssd(f, 64, x, dt, a, bm, cm, d, dtb, true, st2));
                    cmp(tag + " " + f + " state", st1, st2);
                }
                if (l >= 4) {
                    Tensor sw = s0.copy(), sc = s0.copy();
                    Tensor whole = cuda.ssd(SsdForm.CHUNKED, 64, x, dt, a, bm, cm, d, dtb, true, sw);
                    int cut = l / 2 + 1;
                    Tensor y = Tensor.concatAxis1(List.of(
                            cuda.ssd(SsdForm.CHUNKED, 64, x.sliceAxis1(0, cut), dt.sliceAxis1(0, cut), a, bm.sliceAxis1(0, cut),
                                    cm.sliceAxis1(0, cut), d, dtb, true, sc),
                            cuda.ssd(SsdForm.CHUNKED, 64, x.sliceAxis1(cut, l), dt.sliceAxis1(cut, l), a, bm.sliceAxis1(cut, l),
                                    cm.sliceAxis1(cut, l), d, dtb, true, sc)));
                    cmp(tag + " chunked==whole y", y, whole);
                    cmp(tag + " chunked==whole state", sc, sw);
                }
            } finally {
                scanChunk.accept(0);
            }
        }
    }

    // ------------------------------------------------------------------ mLSTM

    private void mlstm() {
        // every shape through each fp32 form: CUDA cores, and 3xTF32 on tensor cores (head dims divisible by
        // 16; DH 20 runs on CUDA cores under either)
        CudaOps ops = cuda instanceof CudaBackend cb ? cb.ops() : null;
        if (ops == null) {
            mlstmShapes("");
            return;
        }
        for (CudaOps.Fp32Mlstm form : new CudaOps.Fp32Mlstm[] {CudaOps.Fp32Mlstm.SIMT, CudaOps.Fp32Mlstm.TF32X3}) {
            CudaOps.Fp32Mlstm was = ops.setFp32Mlstm(form);
            try {
                mlstmShapes(" " + form.name().toLowerCase(Locale.ROOT));
            } finally {
                ops.setFp32Mlstm(was);
            }
        }
    }

    private void mlstmShapes(String form) {
        // b, l, nh, dh, chunk, init (0 = fresh (0, 0, −∞), 1 = random state with finite m)
        int[][] shapes = {{1, 1, 1, 16, 64, 0}, {2, 9, 4, 16, 4, 1}, {1, 63, 2, 96, 64, 0}, {1, 65, 2, 96, 64, 1},
                {2, 130, 1, 16, 64, 1}, {1, 0, 2, 16, 64, 1}, {1, 40, 3, 20, 7, 0}, {1, 300, 1, 64, 128, 1},
                {1, 100, 2, 192, 64, 1}, {1, 150, 1, 384, 64, 1}};   // ViL-S/-B head dims: column slabs, shorter chunks
        for (int[] s : shapes) {
            int b = s[0], l = s[1], nh = s[2], dh = s[3], chunk = s[4];
            boolean init = s[5] == 1;
            Tensor q = r.normal(0, 1, b, l, nh, dh), k = r.normal(0, 1, b, l, nh, dh), v = r.normal(0, 1, b, l, nh, dh);
            Tensor ig = r.normal(0, 2, b, l, nh), fg = r.normal(2, 2, b, l, nh);
            Tensor c0 = init ? r.normal(0, 0.3, b, nh, dh, dh) : Tensor.zeros(b, nh, dh, dh);
            Tensor n0 = init ? r.normal(0, 0.3, b, nh, dh) : Tensor.zeros(b, nh, dh);
            Tensor m0 = init ? r.normal(0, 2, b, nh) : Tensor.full(Float.NEGATIVE_INFINITY, b, nh);
            String tag = String.format("mlstm B%d L%d NH%d DH%d chunk%d %s%s", b, l, nh, dh, chunk, init ? "init" : "fresh", form);
            Tensor[] sc = {c0.copy(), n0.copy(), m0.copy()}, sr = {c0.copy(), n0.copy(), m0.copy()};
            Tensor hc = cuda.mlstm(MlstmForm.CHUNKWISE, chunk, q, k, v, ig, fg, sc[0], sc[1], sc[2], 1e-6);
            Tensor hr = ref.mlstm(MlstmForm.CHUNKWISE, chunk, q, k, v, ig, fg, sr[0], sr[1], sr[2], 1e-6);
            cmp(tag + " h", hc, hr);
            cmp(tag + " C", sc[0], sr[0]);
            cmp(tag + " n", sc[1], sr[1]);
            out.add(Comparison.stabilizer(tag + " m", sc[2], sr[2], TOL));
            if (l >= 5) {
                Tensor[] sw = {c0.copy(), n0.copy(), m0.copy()}, sp = {c0.copy(), n0.copy(), m0.copy()};
                Tensor whole = cuda.mlstm(MlstmForm.RECURRENT, 0, q, k, v, ig, fg, sw[0], sw[1], sw[2], 1e-6);
                int cut = l / 3 + 1;
                Tensor y = Tensor.concatAxis1(List.of(
                        cuda.mlstm(MlstmForm.CHUNKWISE, chunk, q.sliceAxis1(0, cut), k.sliceAxis1(0, cut), v.sliceAxis1(0, cut),
                                ig.sliceAxis1(0, cut), fg.sliceAxis1(0, cut), sp[0], sp[1], sp[2], 1e-6),
                        cuda.mlstm(MlstmForm.CHUNKWISE, chunk, q.sliceAxis1(cut, l), k.sliceAxis1(cut, l), v.sliceAxis1(cut, l),
                                ig.sliceAxis1(cut, l), fg.sliceAxis1(cut, l), sp[0], sp[1], sp[2], 1e-6)));
                cmp(tag + " chunked==whole h", y, whole);
                cmp(tag + " chunked==whole C", sp[0], sw[0]);
                out.add(Comparison.stabilizer(tag + " chunked==whole m", sp[2], sw[2], TOL));
            }
        }
    }

    // ------------------------------------------------------------------ dense ops

    private void dense() {
        int[][] lin = {{1, 5, 1}, {67, 64, 63}, {130, 193, 65}, {64, 16, 64}, {3, 17, 130}, {129, 12, 257}, {300, 768, 200},
                {257, 7, 131}, {2000, 96, 1536}, {1000, 4, 999}, {131, 36, 128}, {5, 3072, 260}};
        // every shape through each fp32 kernel: SIMT 64×64 and 128×128 tiles, 3xTF32 (K % 4 == 0; others
        // run SIMT), and the automatic choice (2000×96×1536 has 192 tiles of 128×128: 3xTF32 on a GPU of up
        // to 192 SMs)
        CudaOps ops = cuda instanceof CudaBackend cb ? cb.ops() : null;
        // (wgmma: the sm_90a build's 3xTF32 kernel, where the driver loaded it)
        String[] configs = ops == null ? new String[] {"auto"} : ops.wgmmaAvailable()
                ? new String[] {"simt64", "simt128", "tf32x3", "wgmma", "auto"} : new String[] {"simt64", "simt128", "tf32x3", "auto"};
        for (String config : configs) {
            CudaOps.Fp32Gemm was = null;
            if (ops != null) {
                ops.setGemmTile(config.equals("simt64") ? 64 : config.equals("simt128") ? 128 : 0);
                was = ops.setFp32Gemm(config.startsWith("simt") ? CudaOps.Fp32Gemm.SIMT : config.equals("tf32x3") ? CudaOps.Fp32Gemm.TF32X3
                        : config.equals("wgmma") ? CudaOps.Fp32Gemm.WGMMA : CudaOps.Fp32Gemm.AUTO);
            }
            try {
                for (int[] s : lin) {
                    Tensor x = r.normal(0, 1, 1, s[0], s[1]), w = r.normal(0, 0.2, s[2], s[1]), b = r.normal(0, 1, s[2]);
                    String tag = String.format("linear M%d K%d N%d %s%s", s[0], s[1], s[2], config,
                            ops == null ? "" : " (" + ops.fp32GemmKernel(s[0], s[2], s[1]) + ")");
                    cmp(tag, cuda.linear(x, w, b), ref.linear(x, w, b));
                    cmp(tag + " nobias", cuda.linear(x, w, null), ref.linear(x, w, null));
                }
            } finally {
                if (ops != null) {
                    ops.setGemmTile(0);
                    ops.setFp32Gemm(was);
                }
            }
        }
        for (int e : new int[] {4, 12, 384}) {
            Tensor x = r.normal(0, 1, 2, 5, e), w = r.normal(0, 0.5, e / 4, 4, 4), b = r.normal(0, 1, e);
            cmp("headwise E" + e, cuda.headwiseLinear(x, w, b), ref.headwiseLinear(x, w, b));
        }
        int[][] norms = {{7, 7}, {192, 48}, {384, 384}, {3072, 3072}, {40, 8}};
        for (int[] s : norms) {
            int c = s[0], gs = s[1];
            Tensor x = r.normal(0.5, 2, 3, 11, c), z = r.normal(0, 1, 3, 11, c), g = r.normal(1, 0.3, c), bt = r.normal(0, 1, c);
            String t = " C" + c + " G" + gs;
            cmp("layerNorm" + t, cuda.layerNorm(x, g, bt, 1e-5), ref.layerNorm(x, g, bt, 1e-5));
            cmp("groupLayerNorm" + t, cuda.groupLayerNorm(x, gs, g, null, 1e-5), ref.groupLayerNorm(x, gs, g, null, 1e-5));
            cmp("rmsNorm" + t, cuda.rmsNorm(x, g, 1e-5), ref.rmsNorm(x, g, 1e-5));
            cmp("groupRmsNorm noweight" + t, cuda.groupRmsNorm(x, gs, null, 1e-6), ref.groupRmsNorm(x, gs, null, 1e-6));
            cmp("gatedRmsNorm" + t, cuda.gatedRmsNorm(x, z, g, gs, 1e-5), ref.gatedRmsNorm(x, z, g, gs, 1e-5));
        }
        Tensor a = r.normal(0, 3, 4, 33, 17), b = r.normal(0, 1, 4, 33, 17), v = r.normal(0, 1, 17);
        cmp("silu", cuda.silu(a), ref.silu(a));
        cmp("add", cuda.add(a, b), ref.add(a, b));
        cmp("mul", cuda.mul(a, b), ref.mul(a, b));
        cmp("axpby", cuda.axpby(a, 0.25, b, -1.5), ref.axpby(a, 0.25, b, -1.5));
        cmp("axpby b=null", cuda.axpby(a, 0.5, null, 0), ref.axpby(a, 0.5, null, 0));
        cmp("mulChannels", cuda.mulChannels(a, v), ref.mulChannels(a, v));
        Tensor rx = r.normal(0, 1, 2, 9, 16), freq = r.uniform(0.001, 1, 16);
        cmp("rope small positions", cuda.rope(rx, freq, new long[] {0, 5}, 20.0), ref.rope(rx, freq, new long[] {0, 5}, 20.0));
        cmp("rope 2^33 positions", cuda.rope(rx, freq, new long[] {8_589_934_592L, 3_000_000_001L}, 4.57),
                ref.rope(rx, freq, new long[] {8_589_934_592L, 3_000_000_001L}, 4.57));
        Tensor img = r.normal(0, 1, 2, 3, 37, 45), pw = r.normal(0, 0.05, 24, 3, 16, 16), pb = r.normal(0, 1, 24);
        cmp("patchEmbed stride16", cuda.patchEmbed(img, pw, pb, 16), ref.patchEmbed(img, pw, pb, 16));
        cmp("patchEmbed stride8", cuda.patchEmbed(img, pw, pb, 8), ref.patchEmbed(img, pw, pb, 8));
        Tensor grid = r.normal(0, 1, 2, 5, 7, 12), dw = r.normal(0, 0.3, 12, 3, 3), dwb = r.normal(0, 1, 12);
        cmp("depthwise3x3", cuda.depthwiseConv2d3x3(grid, dw, dwb), ref.depthwiseConv2d3x3(grid, dw, dwb));
        cmp("depthwise3x3 1x1 nobias", cuda.depthwiseConv2d3x3(grid.batch(0).reshape(1, 5, 7, 12).sliceAxis1(0, 1).reshape(1, 1, 7, 12), dw, null),
                ref.depthwiseConv2d3x3(grid.batch(0).reshape(1, 5, 7, 12).sliceAxis1(0, 1).reshape(1, 1, 7, 12), dw, null));
        Tensor tab = r.normal(0, 1, 3, 14, 14).toF64(), tab2 = r.normal(0, 1, 2, 5, 7);
        cmp("bicubic 14->27 (F64 in)", cuda.bicubicResize(tab, 27, 27), ref.bicubicResize(tab, 27, 27));
        cmp("bicubic 5x7->13x2", cuda.bicubicResize(tab2, 13, 2), ref.bicubicResize(tab2, 13, 2));
        cmp("bicubic identity", cuda.bicubicResize(tab2, 5, 7), tab2);
    }
}
