package io.scanline.jobs.cli;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.heads.Box;
import io.scanline.kernels.heads.BoxNms;
import io.scanline.kernels.heads.CellHead;
import io.scanline.kernels.heads.DenseModel;
import io.scanline.kernels.heads.MaskBandSink;
import io.scanline.kernels.heads.TokenLevels;
import io.scanline.kernels.io.Safetensors;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled demo model, run by the Java engine, reproduces the PyTorch float64 reference stored with it
 * (io.safetensors: backbone outputs of one held-out 128 x 128 tile, heads_io.safetensors: head outputs
 * of the same tile): backbone features, the three heads, and the upsampled
 * pixel logits as a mask. Tolerance 1e-4 normwise for the fp32 engine (the golden policy for model
 * outputs); masks may differ only where the reference logit is within that error of the threshold.
 */
class DemoModelTest {
    static Path dir;
    static Map<String, Tensor> io;
    static DenseModel model;

    @BeforeAll
    static void load() throws Exception {
        dir = SegmentCommand.extractDemo();
        model = DenseModel.load(dir);
        io = new java.util.HashMap<>(Safetensors.readAll(Path.of(DemoModelTest.class.getResource("/demo-model/io.safetensors").toURI())));
        Map<String, Tensor> heads = Safetensors.readAll(Path.of(DemoModelTest.class.getResource("/demo-model/heads_io.safetensors").toURI()));
        assertEquals(0.0, maxDiff(io.get("input.image"), heads.get("input.image")), "both files describe the same tile");
        io.putAll(heads);
    }

    @Test
    void backboneAndHeadsMatchTheReference() throws Exception {
        Tensor img = io.get("input.image");
        int h = img.dim(2), w = img.dim(3), ps = model.heads().patch(), m = (h / ps) * (w / ps), d = model.heads().width();
        ModelOutput out;
        try (Backend be = Backends.open("reference")) {
            out = model.backbone().forward(be, ImageSource.of(img), StreamOptions.defaults().withChunk(7).withLayerOutputs(true));
        }
        assertClose(io.get("output.features"), out.get("output.features"), 1e-4);
        TokenLevels lv = new TokenLevels(m, d);
        for (String k : List.of("output.features", "layer.0.output", "layer.1.output")) {
            lv.put(k, java.util.Arrays.copyOf(out.get(k).toF32().f32(), m * d));
        }
        assertClose(io.get("output.seg_cells"), Tensor.of(model.heads().segmentation(false).cells(lv, m), 1, m, 16), 1e-4);
        assertClose(io.get("output.seg_decoder_cells"), Tensor.of(model.heads().segmentation(true).cells(lv, m), 1, m, 16), 1e-4);
        assertClose(io.get("output.det_raw"), Tensor.of(model.heads().detection().raw(lv.get("output.features"), m), 1, m, 5), 1e-4);
    }

    @Test
    void streamedMaskMatchesTheReferencePixelLogits() throws Exception {
        Tensor img = io.get("input.image");
        int h = img.dim(2), w = img.dim(3);
        byte[] mask = new byte[h * w];
        List<Box> boxes = new ArrayList<>();
        CellHead seg = model.heads().segmentation(false);
        try (Backend be = Backends.open("reference")) {
            model.runStream(be, ImageSource.of(img), 5, seg, model.heads().detection(), new MaskBandSink() {
                @Override
                public void acceptBand(int y, int rows, byte[] px) { System.arraycopy(px, 0, mask, y * w, px.length); }

                @Override
                public void finish() {}
            }, boxes::add);
        }
        float[] ref = io.get("output.seg_pixel_logits").f32();
        float max = 0;
        for (float v : ref) max = Math.max(max, Math.abs(v));
        int mismatched = 0, fg = 0;
        for (int i = 0; i < ref.length; i++) {
            boolean want = ref[i] > 0, got = mask[i] != 0;
            if (got) fg++;
            if (want != got && Math.abs(ref[i]) > 1e-4 * max) mismatched++;
        }
        assertEquals(0, mismatched, "mask pixels that disagree with the reference logits beyond the fp32 error");
        assertTrue(fg > 0, "the reference tile holds nuclei");
    }

    /**
     * End to end with the real backbone: the streamed mask and boxes are the same for every chunk size
     * (chunk 0 = the whole image at once). The reference backend does the same per-token arithmetic for
     * every chunking, so exact equality is expected.
     */
    @Test
    void streamedOutputsDoNotDependOnTheChunkSize() throws Exception {
        Tensor img = io.get("input.image");
        int h = img.dim(2), w = img.dim(3);
        byte[] whole = null;
        List<Box> wholeBoxes = null;
        for (int chunk : new int[]{0, 1, 7, 8, 9, 64}) {
            byte[] mask = new byte[h * w];
            List<Box> boxes = new ArrayList<>();
            try (Backend be = Backends.open("reference")) {
                model.runStream(be, ImageSource.of(img), chunk, model.heads().segmentation(false), model.heads().detection(),
                        new MaskBandSink() {
                            @Override
                            public void acceptBand(int y, int rows, byte[] px) { System.arraycopy(px, 0, mask, y * w, px.length); }

                            @Override
                            public void finish() {}
                        }, boxes::add);
            }
            boxes.sort(BoxNms.ORDER);
            if (whole == null) {
                whole = mask;
                wholeBoxes = boxes;
                assertTrue(!boxes.isEmpty(), "the reference tile has detections");
            } else {
                org.junit.jupiter.api.Assertions.assertArrayEquals(whole, mask, "mask, chunk " + chunk);
                assertEquals(wholeBoxes, boxes, "boxes, chunk " + chunk);
            }
        }
    }

    @Test
    void verifyCommandChecksTheBackboneAgainstTheReference() throws Exception {
        Path folder = Path.of(DemoModelTest.class.getResource("/demo-model/config.json").toURI()).getParent();
        assertEquals(0, ScanlineCli.execute("verify", "--chunk", "13", folder.toString()),
                "the backbone file is a plain golden-format case: scanline verify passes on it");
    }

    static double maxDiff(Tensor a, Tensor b) {
        double m = 0;
        for (int i = 0; i < a.numel(); i++) m = Math.max(m, Math.abs(a.getDouble(i) - b.getDouble(i)));
        return m;
    }

    static void assertClose(Tensor want, Tensor got, double tol) {
        float[] a = want.toF32().f32(), b = got.toF32().f32();
        assertEquals(a.length, b.length, "sizes");
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num = Math.max(num, Math.abs(a[i] - b[i]));
            den = Math.max(den, Math.abs(a[i]));
        }
        assertTrue(num / den < tol, "normwise error " + num / den);
    }
}
