package io.scanline.kernels.stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * De-focus Mamba as one fused causal pass (spec streaming §4.1): every chunk goes through patch
 * embedding and all blocks; per image the state is, per block, the conv tail (K−1, E) and h (E, N),
 * plus the scan position — constant in the image size. The class token (last, position M) and the
 * head run at {@link ImageScan#finish()}.
 *
 * <p>Glossary: B images, n patches of a chunk, M patch tokens of an image, D width, E inner width,
 * N state size, R dt rank, K conv width, ps patch size, C classes.
 */
public final class DefocusScanEngine implements ScanEngine {
    public static final String FAMILY = "defocus_mamba";

    private final Backend be;
    private final int d, ps, classes;
    private final Tensor patchW, patchB, cls, normW, normB, headW, headB, head2W, head2B;
    private final List<DefocusBlock> blocks = new ArrayList<>();

    public DefocusScanEngine(JsonNode cfg, Weights w, Backend be) {
        if (!FAMILY.equals(cfg.path("family").asText())) {
            throw new IllegalArgumentException("not a " + FAMILY + " config: family = '" + cfg.path("family").asText() + "'");
        }
        String order = cfg.path("token_order").asText("raster");
        if (!order.equals("raster")) {
            throw new IllegalArgumentException(FAMILY + ": token_order '" + order + "' is not supported by the stream engine (raster only)");
        }
        String headType = cfg.path("head_type").asText("IN1k_cls");
        if (!headType.equals("IN1k_cls")) {
            throw new IllegalArgumentException(FAMILY + ": head_type '" + headType + "' is not supported by the stream engine (IN1k_cls only)");
        }
        this.be = be;
        this.d = req(cfg, "embed_dim");
        this.ps = req(cfg, "patch_size");
        this.classes = req(cfg, "num_classes");
        int depth = req(cfg, "depth"), e = req(cfg, "intermediate_size"), n = req(cfg, "state_size");
        int r = req(cfg, "time_step_rank"), k = req(cfg, "conv_kernel"), g = req(cfg, "group_norm_size");
        if (g <= 0 || e % g != 0) throw new IllegalArgumentException(FAMILY + ": group_norm_size " + g + " must be > 0 and divide " + e);
        double eps = cfg.path("layer_norm_epsilon").asDouble(1e-5);
        double rho = cfg.path("rope_scale_factor").asDouble(1.0), ds = cfg.path("delta_scale_factor").asDouble(1.0);
        this.patchW = w.get("patch_embed.proj.weight", d, 3, ps, ps);
        this.patchB = w.get("patch_embed.proj.bias", d);
        this.cls = w.get("cls_token", 1, 1, d);
        for (int b = 0; b < depth; b++) blocks.add(new DefocusBlock(w, b, d, e, n, r, k, g, eps, rho, ds));
        this.normW = w.get("norm.weight", d);
        this.normB = w.get("norm.bias", d);
        this.headW = w.get("head.weight", classes, d);
        this.headB = w.get("head.bias", classes);
        this.head2W = w.optional("head2.weight", classes, d);
        this.head2B = head2W == null ? null : w.get("head2.bias", classes);
    }

    private static int req(JsonNode cfg, String key) {
        JsonNode v = cfg.get(key);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException(FAMILY + ": config.json lacks integer '" + key + "'");
        return v.asInt();
    }

    @Override public String family() { return FAMILY; }

    @Override public int patchSize() { return ps; }

    @Override public int width() { return d; }

    @Override public int classes() { return classes; }

    public int depth() { return blocks.size(); }

    @Override
    public ImageScan open(ImageHeader header) {
        return new Scan(header);
    }

    @Override
    public ImageScan restore(ImageHeader header, CarriedState state) {
        Scan s = new Scan(header);
        long pos = state.scalar("position");
        if (pos < 0 || pos > header.tokens()) {
            throw new IllegalArgumentException(header.imageId() + ": restored position " + pos + " outside [0, " + header.tokens() + "]");
        }
        s.position = pos;
        for (int b = 0; b < blocks.size(); b++) {
            copyInto(state.tensor("blocks." + b + ".conv_tail"), s.tails.get(b));
            copyInto(state.tensor("blocks." + b + ".h"), s.hs.get(b));
        }
        return s;
    }

    private static void copyInto(Tensor src, Tensor dst) {
        if (!java.util.Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("restored state shape " + java.util.Arrays.toString(src.shape())
                    + " does not match the model's " + java.util.Arrays.toString(dst.shape()));
        }
        System.arraycopy(src.f32(), 0, dst.f32(), 0, src.numel());
    }

    @Override
    public List<ChunkOutput> acceptBundle(List<? extends ImageScan> scans, List<Tensor> patches) {
        if (scans.size() != patches.size()) throw new IllegalArgumentException(scans.size() + " scans but " + patches.size() + " chunks");
        ChunkOutput[] out = new ChunkOutput[scans.size()];
        // equal chunk lengths share one backend call along B; other lengths get their own group
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        java.util.Set<ImageScan> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < scans.size(); i++) {
            if (!seen.add(scans.get(i))) throw new IllegalArgumentException("a scan appears twice in one bundle");
            if (!(scans.get(i) instanceof Scan s) || s.engine() != this) {
                throw new IllegalArgumentException("scan was not opened by this engine");
            }
            s.checkChunk(patches.get(i));
            byLength.computeIfAbsent(patches.get(i).dim(0), x -> new ArrayList<>()).add(i);
        }
        for (List<Integer> group : byLength.values()) {
            List<Scan> gs = new ArrayList<>();
            List<Tensor> gp = new ArrayList<>();
            for (int i : group) {
                gs.add((Scan) scans.get(i));
                gp.add(patches.get(i));
            }
            List<ChunkOutput> res = run(gs, gp);
            for (int j = 0; j < group.size(); j++) out[group.get(j)] = res.get(j);
        }
        return java.util.Arrays.asList(out);
    }

    /** One batched pass of equal-length chunks through embedding, all blocks, final norm and head2. */
    private List<ChunkOutput> run(List<Scan> scans, List<Tensor> patches) {
        int b = scans.size(), n = patches.get(0).dim(0);
        List<ChunkOutput> out = new ArrayList<>(b);
        if (n == 0) {
            for (Scan s : scans) out.add(new ChunkOutput(s.position, Tensor.zeros(0, d), head2W == null ? null : Tensor.zeros(0, classes)));
            return out;
        }
        Tensor x = be.patchEmbed(PatchStrip.of(patches, ps), patchW, patchB, ps);   // (B, n, D)
        long[] pos0 = new long[b];
        for (int i = 0; i < b; i++) pos0[i] = scans.get(i).position;
        x = throughBlocks(scans, x, pos0);
        Tensor f = be.layerNorm(x, normW, normB, 1e-6);
        Tensor tl = head2W == null ? null : be.linear(f, head2W, head2B);
        for (int i = 0; i < b; i++) {
            Scan s = scans.get(i);
            out.add(new ChunkOutput(s.position, BatchAxis.row(f, i).reshape(n, d),
                    tl == null ? null : BatchAxis.row(tl, i).reshape(n, classes)));
            s.position += n;
        }
        return out;
    }

    private Tensor throughBlocks(List<Scan> scans, Tensor x, long[] pos0) {
        for (int bi = 0; bi < blocks.size(); bi++) {
            List<Tensor> tails = new ArrayList<>(), hs = new ArrayList<>();
            for (Scan s : scans) {
                tails.add(s.tails.get(bi));
                hs.add(s.hs.get(bi));
            }
            Tensor tail = BatchAxis.stack(tails), h = BatchAxis.stack(hs);
            x = blocks.get(bi).forward(be, x, tail, h, pos0);
            BatchAxis.scatter(tail, tails);
            BatchAxis.scatter(h, hs);
        }
        return x;
    }

    private final class Scan implements ImageScan {
        private final ImageHeader header;
        private final List<Tensor> tails = new ArrayList<>(), hs = new ArrayList<>();
        private long position;
        private boolean finished;

        Scan(ImageHeader header) {
            this.header = header;
            for (DefocusBlock blk : blocks) {
                tails.add(Tensor.zeros(1, blk.k - 1, blk.e));
                hs.add(Tensor.zeros(1, blk.e, blk.n));
            }
        }

        DefocusScanEngine engine() { return DefocusScanEngine.this; }

        void checkChunk(Tensor patches) {
            if (finished) throw new IllegalStateException(header.imageId() + ": scan already finished");
            PatchStrip.check(patches, ps, header.imageId());
            if (position + patches.dim(0) > header.tokens()) {
                throw new IllegalArgumentException(header.imageId() + ": chunk of " + patches.dim(0) + " at token " + position
                        + " runs past the image's " + header.tokens() + " patch tokens");
            }
        }

        @Override public ImageHeader header() { return header; }

        @Override public long nextToken() { return position; }

        @Override
        public ChunkOutput accept(Tensor patches) {
            return acceptBundle(List.of(this), List.of(patches)).get(0);
        }

        @Override
        public CarriedState snapshot() {
            Map<String, Tensor> t = new LinkedHashMap<>();
            for (int b = 0; b < blocks.size(); b++) {
                t.put("blocks." + b + ".conv_tail", tails.get(b).copy());
                t.put("blocks." + b + ".h", hs.get(b).copy());
            }
            return new CarriedState(t, Map.of("position", position));
        }

        @Override
        public FinalOutput finish() {
            if (finished) throw new IllegalStateException(header.imageId() + ": scan already finished");
            if (position != header.tokens()) {
                throw new IllegalStateException(header.imageId() + ": finish after " + position + " of " + header.tokens() + " patch tokens");
            }
            Tensor x = throughBlocks(List.of(this), cls, new long[] {position});   // class token last, position M
            Tensor f = be.layerNorm(x, normW, normB, 1e-6);
            Tensor logits = be.linear(f, headW, headB);
            finished = true;
            return new FinalOutput(header.imageId(), logits.f32().clone(), f.f32().clone(), position);
        }
    }
}
