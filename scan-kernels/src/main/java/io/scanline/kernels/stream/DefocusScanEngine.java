package io.scanline.kernels.stream;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.mamba.DefocusChunkStep;
import io.scanline.kernels.model.mamba.DefocusMambaFamily;
import io.scanline.kernels.model.mamba.DefocusMambaModel;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * De-focus Mamba as one fused causal pass (spec streaming §4.1), push style: every chunk goes through
 * patch embedding and all blocks; per image the state is, per block, the conv tail (K−1, E) and h
 * (E, N), plus the scan position — constant in the image size. The class token (last, position M) and
 * the head run at {@link ImageScan#finish()}. All math is the model's ({@link DefocusChunkStep} over
 * {@link DefocusMambaModel}); this class adds the per-image scans, input checks and bundling.
 *
 * <p>Glossary: B images, n patches of a chunk, M patch tokens of an image, D width, ps patch size,
 * K classes.
 */
public final class DefocusScanEngine implements ScanEngine {
    public static final String FAMILY = DefocusMambaFamily.NAME;
    private static final String POSITION = "position";

    private final Backend be;
    private final DefocusChunkStep step;

    public DefocusScanEngine(DefocusMambaModel model, Backend be) {
        this.be = be;
        this.step = new DefocusChunkStep(model);
    }

    @Override public String family() { return FAMILY; }

    @Override public int patchSize() { return step.patchSize(); }

    @Override public int width() { return step.width(); }

    @Override public int classes() { return step.classes(); }

    public int depth() { return step.depth(); }

    @Override
    public ImageScan open(ImageHeader header) {
        return new Scan(header, step.fresh());
    }

    @Override
    public ImageScan restore(ImageHeader header, CarriedState state) {
        long pos = state.scalar(POSITION);
        if (pos < 0 || pos > header.tokens()) {
            throw new IllegalArgumentException(header.imageId() + ": restored position " + pos + " outside [0, " + header.tokens() + "]");
        }
        Map<String, Tensor> expected = step.fresh().tensors();
        if (!expected.keySet().equals(state.tensors().keySet())) {
            throw new IllegalArgumentException(header.imageId() + ": restored state holds " + state.tensors().keySet()
                    + ", the model needs " + expected.keySet());
        }
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            int[] got = state.tensor(e.getKey()).shape(), want = e.getValue().shape();
            if (!Arrays.equals(got, want)) {
                throw new IllegalArgumentException(header.imageId() + ": restored state '" + e.getKey() + "' has shape "
                        + Arrays.toString(got) + ", the model's is " + Arrays.toString(want));
            }
        }
        return new Scan(header, io.scanline.kernels.model.mamba.CarriedState.of(state.tensors(), pos));
    }

    @Override
    public List<ChunkOutput> acceptBundle(List<? extends ImageScan> scans, List<Tensor> patches) {
        if (scans.size() != patches.size()) throw new IllegalArgumentException(scans.size() + " scans but " + patches.size() + " chunks");
        ChunkOutput[] out = new ChunkOutput[scans.size()];
        // equal chunk lengths share one backend call along B; other lengths get their own group
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        Set<ImageScan> seen = Collections.newSetFromMap(new IdentityHashMap<>());
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
        return Arrays.asList(out);
    }

    /** One batched step of equal-length chunks: embedding, all blocks, final norm and head2. */
    private List<ChunkOutput> run(List<Scan> scans, List<Tensor> patches) {
        int b = scans.size(), n = patches.get(0).dim(0), d = width(), k = classes();
        List<ChunkOutput> out = new ArrayList<>(b);
        if (n == 0) {
            for (Scan s : scans) out.add(new ChunkOutput(s.nextToken(), Tensor.zeros(0, d), Tensor.zeros(0, k)));
            return out;
        }
        long[] first = new long[b];
        List<io.scanline.kernels.model.mamba.CarriedState> states = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            first[i] = scans.get(i).nextToken();
            states.add(scans.get(i).state);
        }
        Tensor f = step.patches(be, PatchStrip.of(patches, patchSize()), states);   // (B, n, D)
        Tensor tl = step.tokenLogits(be, f);
        for (int i = 0; i < b; i++) {
            out.add(new ChunkOutput(first[i], BatchAxis.row(f, i).reshape(n, d), BatchAxis.row(tl, i).reshape(n, k)));
        }
        return out;
    }

    private final class Scan implements ImageScan {
        private final ImageHeader header;
        private final io.scanline.kernels.model.mamba.CarriedState state;
        private boolean finished;

        Scan(ImageHeader header, io.scanline.kernels.model.mamba.CarriedState state) {
            this.header = header;
            this.state = state;
        }

        DefocusScanEngine engine() { return DefocusScanEngine.this; }

        void checkChunk(Tensor patches) {
            if (finished) throw new IllegalStateException(header.imageId() + ": scan already finished");
            PatchStrip.check(patches, patchSize(), header.imageId());
            if (nextToken() + patches.dim(0) > header.tokens()) {
                throw new IllegalArgumentException(header.imageId() + ": chunk of " + patches.dim(0) + " at token " + nextToken()
                        + " runs past the image's " + header.tokens() + " patch tokens");
            }
        }

        @Override public ImageHeader header() { return header; }

        @Override public long nextToken() { return state.position(); }

        @Override
        public ChunkOutput accept(Tensor patches) {
            return acceptBundle(List.of(this), List.of(patches)).get(0);
        }

        @Override
        public CarriedState snapshot() {
            io.scanline.kernels.model.mamba.CarriedState s = state.snapshot();
            return new CarriedState(s.tensors(), Map.of(POSITION, s.position()));
        }

        @Override
        public FinalOutput finish() {
            if (finished) throw new IllegalStateException(header.imageId() + ": scan already finished");
            if (nextToken() != header.tokens()) {
                throw new IllegalStateException(header.imageId() + ": finish after " + nextToken() + " of " + header.tokens() + " patch tokens");
            }
            long m = nextToken();
            Tensor[] lf = step.classToken(be, state);   // class token last, at position M
            finished = true;
            return new FinalOutput(header.imageId(), lf[0].f32().clone(), lf[1].f32().clone(), m);
        }
    }
}
