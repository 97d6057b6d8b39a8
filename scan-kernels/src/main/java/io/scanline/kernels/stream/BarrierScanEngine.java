package io.scanline.kernels.stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.MemoryLedger;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.SpillStore;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.tensor.Tensor;

import java.util.Map;

/**
 * Stream engine for the families whose passes need the whole image before they can run (vil2, vil1,
 * adventurer, vim, arm: reverse passes, barriers, middle class tokens — spec streaming §4). As chunks
 * arrive, each image's patches are appended to its own {@link SpillStore} (memory up to a budget, then
 * a local file): this buffer is the image's barrier spill and its whole carried state, so a snapshot
 * mid-image holds the patches so far and a restored scan continues exactly. At {@link ImageScan#finish()}
 * the buffered image is run through the model's own passes ({@link StreamingModel#forward}).
 *
 * <p>Glossary: M patch tokens of an image, Hp × Wp patch grid, ps patch size, P = 3·ps·ps floats
 * per patch, K classes, D width.
 */
public final class BarrierScanEngine implements ScanEngine {
    static final String PATCHES = "barrier.patches", POSITION = "position";

    private final StreamingModel model;
    private final Backend be;
    private final StreamOptions options;
    private final int ps, width, classes;

    public BarrierScanEngine(StreamingModel model, JsonNode cfg, Backend be, StreamOptions options) {
        this.model = model;
        this.be = be;
        // per-token features are not emitted by barrier families: never accumulate (B, L, D) of a huge image
        this.options = options.tokenSink() != null ? options : options.withTokenSink((key, first, rows) -> { });
        this.ps = positive(cfg, "patch_size", cfg.path("patch_size").asInt(0));
        this.width = positive(cfg, "embed_dim or dim", cfg.has("embed_dim") ? cfg.path("embed_dim").asInt(0) : cfg.path("dim").asInt(0));
        this.classes = positive(cfg, "num_classes or output_shape",
                cfg.has("num_classes") ? cfg.path("num_classes").asInt(0) : cfg.path("output_shape").path(0).asInt(0));
    }

    private static int positive(JsonNode cfg, String key, int v) {
        if (v <= 0) throw new IllegalArgumentException(cfg.path("family").asText() + ": config.json lacks a positive " + key);
        return v;
    }

    @Override public String family() { return model.family(); }

    @Override public int patchSize() { return ps; }

    @Override public int width() { return width; }

    @Override public int classes() { return classes; }

    private int perPatch() { return 3 * ps * ps; }

    @Override
    public ImageScan open(ImageHeader header) {
        return new Scan(header);
    }

    @Override
    public ImageScan restore(ImageHeader header, CarriedState state) {
        long pos = state.scalar(POSITION);
        if (pos < 0 || pos > header.tokens()) {
            throw new IllegalArgumentException(header.imageId() + ": restored position " + pos + " outside [0, " + header.tokens() + "]");
        }
        Tensor p = state.tensor(PATCHES);
        if (p.rank() != 3 || p.dim(0) != 1 || p.dim(1) != pos || p.dim(2) != perPatch()) {
            throw new IllegalArgumentException(header.imageId() + ": restored barrier buffer " + p + " does not hold " + pos
                    + " patches of " + perPatch() + " floats");
        }
        Scan s = new Scan(header);
        if (pos > 0) s.store.write(0, p);
        s.position = (int) pos;
        return s;
    }

    private final class Scan implements ImageScan {
        private final ImageHeader header;
        private final SpillStore store;
        private int position;
        private boolean finished, closed;

        Scan(ImageHeader h) {
            this.header = h;
            // the spill is bounded by the image (checked by maxImageBytes in the model run at finish)
            this.store = new SpillStore(1, h.tokens(), perPatch(), options.spillMemoryBytes(), options.spillDir(),
                    new MemoryLedger(options.maxImageBytes(), 1));
        }

        @Override public ImageHeader header() { return header; }

        @Override public long nextToken() { return position; }

        @Override
        public ChunkOutput accept(Tensor patches) {
            if (finished) throw new IllegalStateException(header.imageId() + ": scan already finished");
            PatchStrip.check(patches, ps, header.imageId());
            int n = patches.dim(0);
            if (position + n > header.tokens()) {
                throw new IllegalArgumentException(header.imageId() + ": chunk of " + n + " at token " + position
                        + " runs past the image's " + header.tokens() + " patch tokens");
            }
            if (n > 0) store.write(position, patches.reshape(1, n, perPatch()));
            long first = position;
            position += n;
            return new ChunkOutput(first, null, null);   // barrier families emit nothing before finish
        }

        @Override
        public CarriedState snapshot() {
            Tensor p = position == 0 ? Tensor.zeros(1, 0, perPatch()) : store.read(0, position);
            return new CarriedState(Map.of(PATCHES, p), Map.of(POSITION, (long) position));
        }

        @Override
        public FinalOutput finish() {
            if (finished) throw new IllegalStateException(header.imageId() + ": scan already finished");
            if (position != header.tokens()) {
                throw new IllegalStateException(header.imageId() + ": finish after " + position + " of " + header.tokens() + " patch tokens");
            }
            ModelOutput out = model.forward(be, new BufferedImage(), options);
            finished = true;
            close();
            Tensor logits = out.get("output.logits").toF32();
            Tensor pre = out.tensors().get("output.pre_logits");
            return new FinalOutput(header.imageId(), logits.f32().clone(), pre == null ? new float[0] : pre.toF32().f32().clone(), position);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            store.close();
        }

        /** The buffered patches read back as an image of Hp·ps × Wp·ps pixels, one patch row at a time. */
        private final class BufferedImage implements ImageSource {
            @Override public int batch() { return 1; }

            @Override public int height() { return header.gridH() * ps; }

            @Override public int width() { return header.gridW() * ps; }

            @Override
            public Tensor rows(int y0, int y1) {
                int wp = header.gridW(), w = width(), h = y1 - y0;
                float[] out = new float[3 * h * w], band = null;
                int bandRow = -1;
                for (int y = y0; y < y1; y++) {
                    int r = y / ps, yy = y % ps;
                    if (r != bandRow) {
                        band = store.read(r * wp, wp).f32();   // (1, Wp, 3·ps·ps)
                        bandRow = r;
                    }
                    for (int c = 0; c < wp; c++)
                        for (int ch = 0; ch < 3; ch++)
                            System.arraycopy(band, ((c * 3 + ch) * ps + yy) * ps, out, (ch * h + y - y0) * w + c * ps, ps);
                }
                return Tensor.of(out, 1, 3, h, w);
            }
        }
    }
}
