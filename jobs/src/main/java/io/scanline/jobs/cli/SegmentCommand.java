package io.scanline.jobs.cli;

import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.image.Level;
import io.scanline.connectors.image.RgbBand;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.results.MaskPng;
import io.scanline.jobs.dense.DenseImageWriter;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.heads.CellHead;
import io.scanline.kernels.heads.DenseModel;
import io.scanline.kernels.heads.DetectionHead;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code scanline segment IMAGE}: runs a model with dense heads (default: the bundled demo nuclei model)
 * over an image file and writes the mask (tiled pyramidal TIFF, plus PNG when small), detections (COCO
 * JSON and GeoJSON, map coordinates for GeoTIFF inputs), an overlay PNG and the result records.
 * Glossary: W x H level-0 pixels.
 */
@Command(name = "segment", exitCodeOnInvalidInput = 64,
        description = {"Dense outputs of a model with segmentation/detection heads over one image file:",
                "<name>.mask.tif (+ .mask.png when small), <name>.coco.json, <name>.geojson, <name>.overlay.png,",
                "<name>.results.jsonl (Kafka result records). Default model: the bundled demo nuclei model."})
final class SegmentCommand implements Callable<Integer> {
    static final String DEMO = "demo-model";
    static final List<String> DEMO_FILES = List.of("config.json", "weights.safetensors", "heads.safetensors");

    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;

    @Option(names = "--model", description = "model folder (config.json with dense_heads + weights); default: bundled demo model")
    Path model;

    @Option(names = "--out", defaultValue = "scanline-out", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--backend", defaultValue = "reference", description = "compute backend (default ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--mode", defaultValue = "windows", description = "windows (configured size/overlap) or stream (one causal pass) (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--chunk", defaultValue = "256", description = "tokens per chunk in stream mode (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--decoder", description = "use the multi-level decoder instead of the per-token linear head (windows mode)")
    boolean decoder;

    @Option(names = "--max-pixels", defaultValue = "100000000", description = "refuse larger level-0 images (this command holds the image in memory) (default ${DEFAULT-VALUE})")
    long maxPixels;

    @Option(names = "--overlay-max-side", defaultValue = "2048", description = "longest side of the overlay PNG (default ${DEFAULT-VALUE})")
    int overlayMax;

    @Option(names = "--inline-limit", defaultValue = "262144", description = "result records carry files up to this size inline (default ${DEFAULT-VALUE})")
    int inlineLimit;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        if (!mode.equals("windows") && !mode.equals("stream")) throw new IllegalArgumentException("--mode must be windows or stream, got " + mode);
        Path modelDir = model != null ? model : extractDemo();
        DenseModel dm = DenseModel.load(modelDir);
        int ps = dm.heads().patch();
        Files.createDirectories(out);
        String name = stem(image);
        int w, h;
        byte[] rgb;
        try (io.scanline.connectors.image.ImageSource src = ImageSources.open(image, IngestLimits.defaults())) {
            Level l0 = src.levels().get(0);
            w = l0.width();
            h = l0.height();
            if ((long) w * h > maxPixels) {
                throw new IllegalArgumentException("image " + w + "x" + h + " exceeds --max-pixels " + maxPixels
                        + " (this command holds it in memory; stream large slides through the Flink job)");
            }
            rgb = new byte[w * h * 3];
            int band = Math.max(1, (int) Math.min(h, (64L << 20) / (3L * w)));
            for (int y = 0; y < h; y += band) {
                RgbBand b = src.readRows(0, y, Math.min(band, h - y));
                System.arraycopy(b.rgb(), 0, rgb, y * w * 3, b.rgb().length);
            }
        }
        if (w < ps || h < ps) throw new IllegalArgumentException("image " + w + "x" + h + " is smaller than one patch of " + ps);
        ImageSource input = ImageSource.of(normalize(rgb, w, h, dm.config()));
        CellHead seg = dm.heads().segmentation(decoder);
        DetectionHead det = dm.heads().detection();
        DenseImageWriter.Written wr;
        try (Backend be = Backends.open(backend); DenseImageWriter dw = new DenseImageWriter(dm.heads(), image, name, out, overlayMax, inlineLimit)) {
            if (mode.equals("stream")) dm.runStream(be, input, chunk, seg, det, dw.mask(), dw.boxes());
            else dm.runWindows(be, input, 0, 0, seg, det, dw.mask(), dw.boxes());
            int[] packed = null;
            if ((long) w * h <= MaskPng.MAX_PIXELS) {
                packed = new int[w * h];
                for (int i = 0; i < packed.length; i++) packed[i] = ((rgb[3 * i] & 255) << 16) | ((rgb[3 * i + 1] & 255) << 8) | (rgb[3 * i + 2] & 255);
            }
            wr = dw.finish(packed);
        }
        System.out.printf(Locale.ROOT, "%s: %dx%d px, %s mode, %d detections, mask foreground %.2f%%, %.1f s%n", image.getFileName(), w, h,
                mode, wr.detections(), wr.maskForeground() >= 0 ? 100.0 * wr.maskForeground() : Double.NaN, (System.nanoTime() - t0) / 1e9);
        System.out.println("wrote " + String.join(", ", wr.files().stream().map(Path::toString).toList()));
        return 0;
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** RGB bytes -> (1, 3, H, W) with the model's mean/std (ImageNet defaults), in fp32 as the goldens do. */
    static Tensor normalize(byte[] rgb, int w, int h, com.fasterxml.jackson.databind.JsonNode cfg) {
        float[] mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
        var in = cfg.path("dense_heads").path("input");
        for (int c = 0; c < 3; c++) {
            if (in.path("mean").size() == 3) mean[c] = (float) in.path("mean").get(c).asDouble();
            if (in.path("std").size() == 3) std[c] = (float) in.path("std").get(c).asDouble();
        }
        float[] x = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < w * h; i++) x[c * w * h + i] = ((rgb[3 * i + c] & 255) / 255f - mean[c]) / std[c];
        }
        return Tensor.of(x, 1, 3, h, w);
    }

    /** The bundled demo model, copied out of the jar into a temp folder (the loader reads files). */
    static Path extractDemo() throws IOException {
        Path dir = Files.createTempDirectory("scanline-demo-model");
        dir.toFile().deleteOnExit();
        for (String f : DEMO_FILES) {
            try (InputStream in = SegmentCommand.class.getResourceAsStream("/" + DEMO + "/" + f)) {
                if (in == null) throw new IOException("bundled demo model file " + f + " missing from the jar");
                Path p = dir.resolve(f);
                Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
                p.toFile().deleteOnExit();
            }
        }
        return dir;
    }
}
