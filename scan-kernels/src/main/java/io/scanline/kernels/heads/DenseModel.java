package io.scanline.kernels.heads;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.io.Safetensors;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.ModelFamilies;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A backbone with dense heads, loaded from one model folder: config.json with a {@code dense_heads}
 * section; the backbone's official keys in its weights file(s), the head keys either in the file named by
 * {@code dense_heads.weights} (so the backbone file stays a plain golden-format checkpoint that
 * {@code scanline verify} accepts) or in the same file. Two ways to run it over one image:
 * <ul>
 *   <li>{@link #runStream}: one causal pass over the whole image, chunk by chunk; the final features of
 *       each chunk go straight to the heads (nothing of size L x D is kept). Needs a per-token head that
 *       reads only the final features.</li>
 *   <li>{@link #runWindows}: windows of the configured size/overlap, each a separate forward (for models
 *       used far beyond their training resolution), blended and NMS'd across window borders.</li>
 * </ul>
 * Glossary: L tokens (patches + class token, last), D width, M = Hp * Wp patch tokens.
 */
public final class DenseModel {
    private final JsonNode config;
    private final StreamingModel backbone;
    private final DenseHeads heads;

    private DenseModel(JsonNode config, StreamingModel backbone, DenseHeads heads) {
        this.config = config;
        this.backbone = backbone;
        this.heads = heads;
    }

    public static DenseModel load(Path dir) throws IOException {
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        Weights w = Weights.load(dir, cfg);
        String headFile = cfg.path("dense_heads").path("weights").asText("");
        DenseHeads heads;
        if (headFile.isEmpty()) {
            heads = DenseHeads.load(cfg, w);                 // same file: load first, so the keys count as used
        } else {
            Path hf = dir.resolve(headFile).normalize();
            heads = DenseHeads.load(cfg, new Weights(hf.toString(), Safetensors.readAll(hf)));
        }
        StreamingModel bb = ModelFamilies.get(cfg.path("family").asText("")).build(cfg, w);
        return new DenseModel(cfg, bb, heads);
    }

    public JsonNode config() { return config; }

    public DenseHeads heads() { return heads; }

    public StreamingModel backbone() { return backbone; }

    /** Whole image, one causal stream; {@code chunk} tokens per step (0 = all at once). */
    public void runStream(Backend be, ImageSource image, int chunk, CellHead seg, DetectionHead det,
                          MaskBandSink mask, Consumer<Box> boxes) {
        if (image.batch() != 1) throw new IllegalArgumentException("dense outputs are produced per image (batch 1), got " + image.batch());
        if (seg != null && !seg.levels().equals(java.util.List.of(TokenLevels.FEATURES))) {
            throw new IllegalArgumentException("the streamed run feeds final features only; head levels " + seg.levels()
                    + " need a windowed run");
        }
        int d = heads.width();
        DenseStream st = new DenseStream(heads, seg, det, image.height(), image.width(), mask, boxes);
        StreamOptions opt = StreamOptions.defaults().withChunk(chunk).withTokenSink((key, first, rows) -> {
            if (!key.equals(TokenLevels.FEATURES)) return;
            int n = rows.dim(1);
            st.accept(first, TokenLevels.features(rows.toF32().f32(), n, d));
        });
        backbone.forward(be, image, opt);
        st.finish();
    }

    /** Windows of the configured size and overlap (or the given ones, in tokens, when > 0). */
    public void runWindows(Backend be, ImageSource image, int windowTokens, int overlapTokens, CellHead seg,
                           DetectionHead det, MaskBandSink mask, Consumer<Box> boxes) throws Exception {
        if (image.batch() != 1) throw new IllegalArgumentException("dense outputs are produced per image (batch 1), got " + image.batch());
        int ps = heads.patch();
        int size = windowTokens > 0 ? windowTokens : heads.windowTokens();
        int overlap = windowTokens > 0 ? overlapTokens : heads.windowOverlapTokens();
        if (size <= 0) throw new IllegalArgumentException("no window size given and none configured in dense_heads.windows");
        WindowPlan plan = new WindowPlan(image.height() / ps, image.width() / ps, size, overlap);
        boolean layers = seg != null && seg.levels().stream().anyMatch(l -> !l.equals(TokenLevels.FEATURES));
        StreamOptions opt = StreamOptions.defaults().withChunk(0).withLayerOutputs(layers);
        WindowModel model = w -> {
            ImageSource view = window(image, w.r0() * ps, w.c0() * ps, w.rows() * ps, w.cols() * ps);
            ModelOutput out = backbone.forward(be, view, opt);
            int n = w.rows() * w.cols();
            TokenLevels lv = new TokenLevels(n, heads.width()).put(TokenLevels.FEATURES, patchRows(out.get(TokenLevels.FEATURES), n));
            if (seg != null) {
                for (String l : seg.levels()) if (!l.equals(TokenLevels.FEATURES)) lv.put(l, patchRows(out.get(l), n));
            }
            return lv;
        };
        WindowedRun.run(heads, seg, det, plan, model, image.height(), image.width(), mask, boxes);
    }

    /** (1, L, D) with the class token last -> the first n rows (the patch tokens), row-major. */
    static float[] patchRows(Tensor t, int n) {
        if (t == null) throw new IllegalStateException("the backbone did not return a needed feature level");
        int d = t.dim(2);
        return Arrays.copyOf(t.toF32().f32(), n * d);
    }

    /** The pixels [y0, y0 + h) x [x0, x0 + w) of a source as a source of its own. */
    static ImageSource window(ImageSource src, int y0, int x0, int h, int w) {
        return new ImageSource() {
            @Override public int batch() { return src.batch(); }
            @Override public int height() { return h; }
            @Override public int width() { return w; }
            @Override public Tensor rows(int a, int b) { return src.region(y0 + a, y0 + b, x0, x0 + w); }
            @Override public Tensor region(int a, int b, int c, int e) { return src.region(y0 + a, y0 + b, x0 + c, x0 + e); }
        };
    }
}
