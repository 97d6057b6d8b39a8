package io.scanline.kernels.model.adventurer;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.golden.Chunks;
import io.scanline.kernels.model.ChunkEmbedder;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.MeteredBackend;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.PositionTable;
import io.scanline.kernels.model.TokenStore;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.TokenLayout;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Adventurer streamed in depth + 1 passes (spec streaming §4.5): an embedding pre-pass that writes the
 * store and sums layer 0's normalized input, then one pass per layer seeded by the heading average.
 * Every layer is a barrier: its average needs the whole input. The store is rewritten in place.
 *
 * <p>Glossary: B images, Hp × Wp grid, M = Hp·Wp patches, L = M + 1 tokens (class last), D width.
 */
final class AdventurerModel implements StreamingModel {
    /** Chunk of the chunked SSD form (the official kernel's chunk_size; results do not depend on it). */
    static final int SSD_CHUNK = 256;
    static final double GATED_NORM_EPS = 1e-5;

    private final AdventurerFamily.Dims dims;
    private final Tensor patchW, patchB, cls;     // (D, 3, ps, ps), (D), (D)
    private final PositionTable pos;
    private final List<AdventurerLayerWeights> layers;
    private final boolean[] flip;
    private final Tensor normF, headW, headB;      // (D), (C, D), (C)

    AdventurerModel(AdventurerFamily.Dims dims, Tensor patchW, Tensor patchB, Tensor cls, PositionTable pos,
                    List<AdventurerLayerWeights> layers, boolean[] flip, Tensor normF, Tensor headW, Tensor headB) {
        this.dims = dims;
        this.patchW = patchW;
        this.patchB = patchB;
        this.cls = cls;
        this.pos = pos;
        this.layers = layers;
        this.flip = flip;
        this.normF = normF;
        this.headW = headW;
        this.headB = headB;
    }

    @Override
    public String family() { return "adventurer"; }

    @Override
    public Plan plan(int hp, int wp) {
        List<Plan.Pass> passes = new ArrayList<>();
        passes.add(new Plan.Pass("embed", Plan.Order.FORWARD, List.of("patch_embed", "cls_token", "pos_embed", "layers.0.norm (mean)"), true));
        for (int n = 0; n < layers.size(); n++) {
            boolean last = n == layers.size() - 1;
            List<String> names = new ArrayList<>(List.of("layers." + n));
            if (last) names.addAll(List.of("norm_f", "head"));
            else names.add("layers." + (n + 1) + ".norm (mean)");
            passes.add(new Plan.Pass("layer " + n, flip[n] ? Plan.Order.REVERSE : Plan.Order.FORWARD, names, !last));
        }
        long state = (long) (dims.k() - 1) * (dims.e() + 2 * dims.n()) + (long) dims.h() * dims.p() * dims.n() + 2L * dims.d();
        return new Plan("adventurer", passes, state, dims.d());
    }

    @Override
    public ModelOutput forward(Backend backend, ImageSource image, StreamOptions o) {
        return forward(backend, image, o, len -> Chunks.fixed(len, o.chunk()));
    }

    /**
     * As {@link #forward}, with every pass cut by {@code partition} (pass length → chunks; the embedding
     * pass has L positions, layer passes L + 1 with the heading average first): tests use odd cuts.
     */
    ModelOutput forward(Backend backend, ImageSource image, StreamOptions o, IntFunction<List<int[]>> partition) {
        return forward(backend, image, o, partition, null);
    }

    /**
     * As above; with {@code transit} set, every layer pass is stopped after each chunk, its carried state
     * snapshotted, passed through {@code transit} (tests serialize it) and restored into a fresh pass
     * object that continues (spec streaming §2, restore level).
     */
    ModelOutput forward(Backend backend, ImageSource image, StreamOptions o, IntFunction<List<int[]>> partition,
                        UnaryOperator<Map<String, Tensor>> transit) {
        int batch = image.batch(), d = dims.d();
        MemoryLedger ledger = new MemoryLedger(o.maxImageBytes(), batch);
        Backend be = new MeteredBackend(backend, ledger);
        ChunkEmbedder.Grid grid = ChunkEmbedder.Grid.of(image.height(), image.width(), patchW.dim(2), dims.patch());
        ChunkEmbedder embedder = ChunkEmbedder.raster(image, patchW, patchB, dims.patch());
        int hp = grid.hp(), wp = grid.wp(), m = hp * wp, l = m + 1;
        boolean keep = o.keepLayerOutputs();
        Map<String, Tensor> out = new LinkedHashMap<>();
        // with a token sink, features go out chunk by chunk; only the class token (last) is kept
        Tensor features = o.tokenSink() == null ? Tensor.zeros(batch, l, d) : null;
        Tensor[] clsFeature = new Tensor[1];

        try (TokenStore store = TokenStore.open(be, batch, l, d, o.spillMemoryBytes(), o.spillDir(), ledger)) {
            Tensor sum = embedPass(be, embedder, store, hp, wp, batch, partition.apply(l), keep ? out : null, layers.get(0).norm());
            for (int n = 0; n < layers.size(); n++) {
                boolean last = n == layers.size() - 1;
                Tensor avg = mean(sum, batch, l);
                Tensor layerFull = keep ? Tensor.zeros(batch, l, d) : null;
                AdventurerPass.Sink sink = (t0, rows) -> {
                    if (layerFull != null) TokenLayout.place(layerFull, t0, rows);
                    if (last) {
                        Tensor f = be.rmsNorm(rows, normF, dims.eps());
                        if (features != null) TokenLayout.place(features, t0, f);
                        else o.tokenSink().accept("output.features", t0, f);
                        if (t0 + f.dim(1) == l) clsFeature[0] = be.sliceAxis1(f, f.dim(1) - 1, f.dim(1)).reshape(batch, d);
                    }
                };
                AdventurerPassState st = AdventurerPassState.fresh(be, batch, dims.k(), dims.e() + 2 * dims.n(), dims.h(), dims.p(), dims.n(), d);
                ledger.addState(st.bytes());
                AdventurerLayerWeights lw = layers.get(n);
                Tensor nextNorm = last ? null : layers.get(n + 1).norm();
                boolean flipN = flip[n];
                AdventurerPass pass = new AdventurerPass(be, lw, dims, flipN, m, batch, o.ssdForm(), store, !last, avg, nextNorm, sink, st);
                for (int[] c : partition.apply(l + 1)) {
                    pass.step(c[0], c[1]);
                    if (transit != null) {
                        AdventurerPassState restored = AdventurerPassState.restore(transit.apply(pass.state().snapshot()));
                        pass = new AdventurerPass(be, lw, dims, flipN, m, batch, o.ssdForm(), store, !last, avg, nextNorm, sink, restored);
                        pass.resumeAt(c[1]);
                    }
                }
                ledger.releaseState(st.bytes());
                sum = pass.state().sum;
                if (keep) out.put("layer." + n + ".output", layerFull);
            }
        }
        if (features != null) out.put("output.features", features);
        Tensor pre = clsFeature[0];
        out.put("output.pre_logits", pre);
        out.put("output.logits", be.linear(pre, headW, headB));
        return new ModelOutput(out, ledger);
    }

    /** Pre-pass: patch embedding + table, class token last; writes the store, sums RMSNorm_0 in fp64. */
    private Tensor embedPass(Backend be, ChunkEmbedder embedder, TokenStore store, int hp, int wp, int batch, List<int[]> chunks,
                               Map<String, Tensor> keep, Tensor norm0) {
        int m = hp * wp, l = m + 1, d = dims.d();
        Tensor sum = Tensor.zerosF64(batch * d);      // stays on the device between chunks where the backend keeps states
        Tensor full = keep != null ? Tensor.zeros(batch, l, d) : null;
        for (int[] ch : chunks) {
            int t0 = ch[0], t1 = ch[1], pe = Math.min(t1, m);
            if (t1 == t0) continue;
            Tensor x;
            // the chunk's intermediates die with the scope; x is written outside it (a store may cut slices of
            // earlier rows while writing, and those must outlive the scope)
            try (OpScope scope = be.opScope()) {
                List<Tensor> parts = new ArrayList<>();
                if (pe > t0) parts.add(be.add(embedder.embed(be, t0, pe), TokenLayout.repeatBatch(posTokens(be, hp, wp, t0, pe), batch)));
                if (t1 > m) {
                    Tensor c = be.add(cls.reshape(1, d), pos.classEntry().reshape(1, d));
                    parts.add(TokenLayout.repeatBatch(c, batch));
                }
                x = scope.keep(parts.size() == 1 ? parts.get(0) : be.concatAxis1(parts));
                if (full != null) TokenLayout.place(full, t0, x);
                be.addSumAxis1(be.rmsNorm(x, norm0, dims.eps()), sum);
            }
            store.write(t0, x);
        }
        if (full != null) keep.put("embed.output", full);
        return sum;
    }

    /** Table entries of patch tokens [t0, t1): (t1 − t0, D). */
    private Tensor posTokens(Backend be, int hp, int wp, int t0, int t1) {
        int r0 = t0 / wp, r1 = (t1 - 1) / wp + 1, d = dims.d();
        Tensor rows = pos.rows(hp, wp, r0, r1).reshape(1, (r1 - r0) * wp, d);
        return rows.sliceAxis1(t0 - r0 * wp, t1 - r0 * wp).reshape(t1 - t0, d);
    }

    /** The heading average from the fp64 sums: one host read of them per layer. */
    private Tensor mean(Tensor sum, int batch, int l) {
        double[] s = sum.f64();
        float[] a = new float[s.length];
        for (int i = 0; i < a.length; i++) a[i] = (float) (s[i] / l);
        return Tensor.of(a, batch, 1, dims.d());
    }
}
