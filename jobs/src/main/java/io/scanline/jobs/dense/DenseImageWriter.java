package io.scanline.jobs.dense;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.connectors.image.GeoReference;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.image.Level;
import io.scanline.connectors.image.RgbBand;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.results.CocoJson;
import io.scanline.connectors.results.Detection;
import io.scanline.connectors.results.GeoJson;
import io.scanline.connectors.results.MaskPng;
import io.scanline.connectors.results.Overlay;
import io.scanline.connectors.results.ResultImage;
import io.scanline.connectors.results.ResultRecord;
import io.scanline.connectors.results.TiledTiffWriter;
import io.scanline.kernels.heads.Box;
import io.scanline.kernels.heads.BoxNms;
import io.scanline.kernels.heads.DenseHeads;
import io.scanline.kernels.heads.DenseStream;
import io.scanline.kernels.heads.MaskBandSink;
import io.scanline.kernels.heads.TokenLevels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Dense output files of one image, the same for every producer: mask bands go into
 * {@code <name>.mask.tif} as they come ({@link #mask()}), boxes are collected ({@link #boxes()}). A
 * stream of final token features (as the Flink scan emits them) is fed with {@link #accept}: the heads
 * run per chunk through {@link DenseStream} (boxes across chunk borders); {@code segment} instead hands
 * {@link #mask()} and {@link #boxes()} to the model's own runs. At {@link #finish} come {@code .mask.png} and
 * {@code .overlay.png} (small images only: both hold the image in memory), {@code .coco.json},
 * {@code .geojson} and {@code .results.jsonl} (result records), the same files {@code segment} writes.
 *
 * <p>Glossary: W x H level-0 pixels, n tokens of a chunk, D feature width.
 */
public final class DenseImageWriter implements AutoCloseable {
    private final DenseHeads heads;
    private final Path out, image;
    private final String name;
    private final int w, h, overlayMax, inlineLimit;
    private final Double mpp;
    private final GeoReference geo;
    private final byte[] mask;
    private final TiledTiffWriter tiff;
    private final Path tif;
    private final List<Box> boxes = new ArrayList<>();
    private final MaskBandSink sink;
    private DenseStream stream;

    /** Reads the image header (size, resolution, georeference) of {@code image} and opens the mask TIFF. */
    public DenseImageWriter(DenseHeads heads, Path image, String name, Path out, int overlayMax, int inlineLimit) throws IOException {
        this.heads = heads;
        this.image = image;
        this.name = name;
        this.out = out;
        this.overlayMax = overlayMax;
        this.inlineLimit = inlineLimit;
        try (var src = ImageSources.open(image, IngestLimits.defaults())) {
            Level l0 = src.levels().get(0);
            w = l0.width();
            h = l0.height();
            mpp = src.mppLevel0().isPresent() ? src.mppLevel0().getAsDouble() : null;
            geo = src.geoReference().orElse(null);
        } catch (IngestException e) {
            throw new IOException(image + ": " + e.getMessage(), e);
        }
        Files.createDirectories(out);
        mask = (long) w * h <= MaskPng.MAX_PIXELS ? new byte[w * h] : null;
        tif = out.resolve(name + ".mask.tif");
        tiff = new TiledTiffWriter(tif, w, h, 256, mpp, geo);
        sink = new MaskBandSink() {
            @Override
            public void acceptBand(int y, int rows, byte[] px) {
                try {
                    tiff.writeRows(y, rows, px);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (mask != null) System.arraycopy(px, 0, mask, y * w, px.length);
            }

            @Override
            public void finish() {}
        };
    }

    public int width() { return w; }

    public int height() { return h; }

    /** Where a dense run sends its mask bands (top to bottom). */
    public MaskBandSink mask() { return sink; }

    /** Where a dense run sends its final boxes. */
    public Consumer<Box> boxes() { return boxes::add; }

    /** Tokens [firstToken, firstToken + n) of the image as (n, D) final features, consecutive with the last chunk. */
    public void accept(long firstToken, float[] features, int n) {
        if (features.length != (long) n * heads.width()) {
            throw new IllegalArgumentException(name + ": chunk of " + n + " tokens carries " + features.length
                    + " feature values, the heads need width " + heads.width());
        }
        if (stream == null) stream = new DenseStream(heads, heads.segmentation(false), heads.detection(), h, w, sink, boxes::add);
        stream.accept(firstToken, TokenLevels.features(features, n, heads.width()));
    }

    /** What was written for the image. */
    public record Written(int width, int height, int detections, double maskForeground, List<Path> files) {}

    /** Ends the fed stream (if any) and writes every output file, reading the image again for the overlay. */
    public Written finish() throws IOException {
        return finish(null);
    }

    /**
     * Ends the fed stream (if any) and writes every output file; the mask TIFF is complete after this.
     * @param packedRgb the image as (H*W) 0xRRGGBB for the overlay, or null to read it again from the file
     */
    public Written finish(int[] packedRgb) throws IOException {
        if (stream != null) stream.finish();
        tiff.close();
        boxes.sort(BoxNms.ORDER);
        String cls = heads.detectionClasses().isEmpty() ? "object" : heads.detectionClasses().get(0);
        List<Detection> dets = new ArrayList<>();
        for (Box b : boxes) dets.add(new Detection(clamp(b.x0(), w), clamp(b.y0(), h), clamp(b.x1(), w), clamp(b.y1(), h), b.score(), cls));
        ResultImage ri = new ResultImage(name, image.getFileName().toString(), w, h, mpp, geo);
        Path coco = out.resolve(name + ".coco.json"), gj = out.resolve(name + ".geojson"), ov = out.resolve(name + ".overlay.png");
        CocoJson.write(coco, ri, List.of(cls), dets);
        GeoJson.write(gj, ri, dets);
        List<Path> files = new ArrayList<>(List.of(tif, coco, gj));
        long fg = 0;
        if (mask != null) {
            Path png = out.resolve(name + ".mask.png");
            MaskPng.write(png, w, h, mask);
            for (byte v : mask) if (v != 0) fg++;
            Overlay.write(ov, Overlay.render(packedRgb != null ? packedRgb : packedRgb(), w, h, mask, dets, overlayMax));
            files.add(png);
            files.add(ov);
        }
        double fgFrac = mask != null ? fg / ((double) w * h) : -1;
        ObjectNode summary = new ObjectMapper().createObjectNode().put("detections", dets.size())
                .put("mask_foreground_fraction", fgFrac).put("width", w).put("height", h);
        if (mpp != null) summary.put("microns_per_pixel", mpp);
        if (geo != null) summary.put("epsg", geo.epsg());
        List<String> lines = new ArrayList<>();
        lines.add(new String(ResultRecord.forFile(name, "mask", "image/tiff", tif, inlineLimit, summary).toJson()));
        lines.add(new String(ResultRecord.forFile(name, "detections-coco", "application/json", coco, inlineLimit, summary).toJson()));
        lines.add(new String(ResultRecord.forFile(name, "detections-geojson", "application/geo+json", gj, inlineLimit, summary).toJson()));
        if (mask != null) lines.add(new String(ResultRecord.forFile(name, "overlay", "image/png", ov, inlineLimit, summary).toJson()));
        Path jsonl = out.resolve(name + ".results.jsonl");
        Files.write(jsonl, lines);
        files.add(jsonl);
        return new Written(w, h, dets.size(), fgFrac, files);
    }

    /** The image again as 0xRRGGBB, for the overlay (only called for images small enough to hold). */
    private int[] packedRgb() throws IOException {
        int[] packed = new int[w * h];
        try (var src = ImageSources.open(image, IngestLimits.defaults())) {
            int band = Math.max(1, (int) Math.min(h, (64L << 20) / (3L * w)));
            for (int y = 0; y < h; y += band) {
                RgbBand b = src.readRows(0, y, Math.min(band, h - y));
                byte[] rgb = b.rgb();
                for (int i = 0, o = y * w; i < rgb.length / 3; i++, o++) {
                    packed[o] = ((rgb[3 * i] & 255) << 16) | ((rgb[3 * i + 1] & 255) << 8) | (rgb[3 * i + 2] & 255);
                }
            }
        } catch (IngestException e) {
            throw new IOException(image + ": " + e.getMessage(), e);
        }
        return packed;
    }

    private static double clamp(double v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    /** Releases the mask TIFF of an image that never finished (its file stays incomplete). */
    @Override
    public void close() throws IOException {
        try {
            tiff.close();
        } catch (IllegalStateException incomplete) {
            Files.deleteIfExists(tif);   // a partial mask is worse than none
        }
    }
}
