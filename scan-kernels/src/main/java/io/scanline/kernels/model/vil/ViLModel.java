package io.scanline.kernels.model.vil;

import io.scanline.kernels.backend.Backend;
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
 * Vision-LSTM v1 and v2 streamed one block per pass (spec streaming §4.2, §4.3): every block
 * boundary is a barrier because the next block runs in the opposite direction. The residual stream
 * lives in a {@link TokenStore} that each pass rewrites in place; pass 0 embeds patches on the fly;
 * the last pass applies the final norm per token and writes nothing back.
 *
 * <p>Glossary: B images, Hp × Wp patch grid, S = Hp·Wp tokens (no class token), D width, E = 2D.
 */
final class ViLModel implements StreamingModel {
    /** Inner chunk of the chunkwise mLSTM form (the mlstm_kernels tile size; results do not depend on it). */
    static final int MLSTM_CHUNK = 64;

    enum Pooling { BILATERAL_FLATTEN, BILATERAL_AVG, NONE }

    /** A LayerNorm applied to tokens or to the pooled vector; gamma already 1 + w where residual. */
    record Norm(Tensor gamma, Tensor beta, double eps) {
        Tensor apply(Backend be, Tensor x) { return be.layerNorm(x, gamma, beta, eps); }
    }

    private final String family;
    private final int stride;
    private final Tensor patchW, patchB;
    private final PositionTable pos;
    private final List<ViLBlockWeights> blocks;
    private final List<String> blockNames;       // state_dict prefixes, for the plan
    private final List<String> outputKeys;       // layer output key after each block, or null
    private final boolean[] reverse;
    private final Norm featureNorm;              // null: features are the residual stream itself
    private final Pooling pooling;
    private final Norm poolNorm;                 // null: identity
    private final Tensor headW, headB;           // null: no head

    ViLModel(String family, int stride, Tensor patchW, Tensor patchB, PositionTable pos, List<ViLBlockWeights> blocks,
             List<String> blockNames, List<String> outputKeys, boolean[] reverse, Norm featureNorm, Pooling pooling,
             Norm poolNorm, Tensor headW, Tensor headB) {
        this.family = family;
        this.stride = stride;
        this.patchW = patchW;
        this.patchB = patchB;
        this.pos = pos;
        this.blocks = blocks;
        this.blockNames = blockNames;
        this.outputKeys = outputKeys;
        this.reverse = reverse;
        this.featureNorm = featureNorm;
        this.pooling = pooling;
        this.poolNorm = poolNorm;
        this.headW = headW;
        this.headB = headB;
    }

    @Override
    public String family() { return family; }

    private int dim() { return patchW.dim(0); }

    private int convK() { return blocks.get(0).conv1d() == null ? 0 : blocks.get(0).conv1d().dim(1); }

    @Override
    public Plan plan(int hp, int wp) {
        List<Plan.Pass> passes = new ArrayList<>();
        for (int k = 0; k < blocks.size(); k++) {
            List<String> layers = new ArrayList<>();
            if (k == 0) layers.addAll(List.of("patch_embed", "pos_embed"));
            layers.add(blockNames.get(k));
            boolean last = k == blocks.size() - 1;
            if (last) {
                layers.add(family.equals("vil1") ? "legacy_norm" : "norm");
                if (headW != null) layers.add("head");
            }
            passes.add(new Plan.Pass("pass " + k, reverse[k] ? Plan.Order.REVERSE : Plan.Order.FORWARD, layers, !last));
        }
        int e = 2 * dim(), dh = e / ViLBlockWeights.HEADS, k = convK();
        long state = (long) ViLBlockWeights.HEADS * (dh * dh + dh + 1) + (k > 0 ? (long) (k - 1) * e : 0);
        return new Plan(family, passes, state, dim());
    }

    /** ViL has no class token: the sequence is the patch grid. */
    @Override
    public long sequenceLength(int hp, int wp) {
        return (long) hp * wp;
    }

    @Override
    public ModelOutput forward(Backend backend, ImageSource image, StreamOptions o) {
        return forward(backend, image, o, len -> Chunks.fixed(len, o.chunk()));
    }

    /** As {@link #forward}, with every pass cut by {@code partition} (pass length → chunks): tests use odd cuts. */
    ModelOutput forward(Backend backend, ImageSource image, StreamOptions o, IntFunction<List<int[]>> partition) {
        return forward(backend, image, o, partition, null);
    }

    /**
     * As above; with {@code transit} set, every pass is stopped after each chunk, snapshotted, passed
     * through {@code transit} (tests serialize it) and continued by a fresh pass object restored from it
     * (spec streaming §2, restore level).
     */
    ModelOutput forward(Backend backend, ImageSource image, StreamOptions o, IntFunction<List<int[]>> partition,
                        UnaryOperator<Map<String, Tensor>> transit) {
        int batch = image.batch(), d = dim();
        MemoryLedger ledger = new MemoryLedger(o.maxImageBytes(), batch);
        Backend be = new MeteredBackend(backend, ledger);
        ChunkEmbedder.Grid grid = ChunkEmbedder.Grid.of(image.height(), image.width(), patchW.dim(2), stride);
        ChunkEmbedder embedder = ChunkEmbedder.raster(image, patchW, patchB, stride);
        int hp = grid.hp(), wp = grid.wp(), s = hp * wp;
        boolean keep = o.keepLayerOutputs();
        Map<String, Tensor> out = new LinkedHashMap<>();

        Tensor embedFull = keep ? Tensor.zeros(batch, s, d) : null;
        ViLPass.Rows embedRows = (r0, r1) -> {
            Tensor x = be.add(embedder.embed(be, r0 * wp, r1 * wp), TokenLayout.repeatBatch(pos.rows(hp, wp, r0, r1), batch));
            if (embedFull != null) TokenLayout.place(embedFull, r0 * wp, x);
            return x;
        };
        // with a token sink, features go out chunk by chunk; only the pooled tokens (first, last) are kept
        Tensor features = o.tokenSink() == null ? Tensor.zeros(batch, s, d) : null;
        Tensor[] ends = new Tensor[2];
        int e = 2 * d;
        // one carried state for every pass, reset at each pass's start where the backend keeps it
        ViLPassState st = ViLPassState.fresh(batch, ViLBlockWeights.HEADS, e / ViLBlockWeights.HEADS, convK(), e);
        try (TokenStore store = TokenStore.open(be, batch, s, d, o.spillMemoryBytes(), o.spillDir(), ledger)) {
            for (int k = 0; k < blocks.size(); k++) {
                boolean last = k == blocks.size() - 1;
                ViLPass.Rows in = k == 0 ? embedRows : (r0, r1) -> store.read(r0 * wp, (r1 - r0) * wp);
                Tensor layerFull = keep ? Tensor.zeros(batch, s, d) : null;
                ViLPass.Sink sink = (t0, rows) -> {
                    if (layerFull != null) TokenLayout.place(layerFull, t0, rows);
                    if (last) {
                        Tensor f = featureNorm == null ? rows : featureNorm.apply(be, rows);
                        if (features != null) TokenLayout.place(features, t0, f);
                        else o.tokenSink().accept("output.features", t0, f);
                        if (t0 == 0) ends[0] = f.sliceAxis1(0, 1).reshape(batch, d);
                        if (t0 + f.dim(1) == s) ends[1] = f.sliceAxis1(f.dim(1) - 1, f.dim(1)).reshape(batch, d);
                        if (f != rows) be.release(rows);   // the last pass writes no store: nothing reads its rows again
                    }
                };
                st.reset(be);
                ledger.addState(st.bytes());
                ViLBlockWeights bw = blocks.get(k);
                boolean rev = reverse[k];
                TokenStore target = last ? null : store;
                ViLPass pass = new ViLPass(be, bw, rev, hp, wp, batch, o.mlstmForm(), MLSTM_CHUNK, in, target, sink, st);
                for (int[] c : partition.apply(s)) {
                    pass.step(c[0], c[1]);
                    if (transit != null) {
                        Map<String, Tensor> snap = transit.apply(pass.snapshot());
                        pass = new ViLPass(be, bw, rev, hp, wp, batch, o.mlstmForm(), MLSTM_CHUNK, in, target, sink,
                                ViLPassState.restore(snap));
                        pass.resume(snap);
                    }
                }
                ledger.releaseState(st.bytes());
                if (keep) {
                    if (k == 0) out.put("embed.output", embedFull);
                    if (outputKeys.get(k) != null) out.put(outputKeys.get(k), layerFull);
                }
            }
        }
        if (features != null) out.put("output.features", features);
        if (pooling != Pooling.NONE) {
            Tensor first = ends[0], lastTok = ends[1];
            Tensor p = pooling == Pooling.BILATERAL_FLATTEN ? TokenLayout.concatColumns(List.of(first, lastTok))
                    : be.axpby(first, 0.5, lastTok, 0.5);
            if (poolNorm != null) p = poolNorm.apply(be, p);
            out.put("output.pre_logits", p);
            if (headW != null) out.put("output.logits", be.linear(p, headW, headB));
        }
        return new ModelOutput(out, ledger);
    }
}
