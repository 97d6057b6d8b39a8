package io.scanline.kernels.heads;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random dense heads and collecting sinks for the tests. Glossary: D width, s sub-cells, C classes. */
final class HeadFixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private HeadFixtures() {}

    static ObjectNode config(int d, int patch, int s, int classes, double maxBox, int winPx, int overlapPx) {
        ObjectNode c = JSON.createObjectNode().put("embed_dim", d).put("patch_size", patch);
        ObjectNode h = c.putObject("dense_heads");
        ObjectNode seg = h.putObject("segmentation").put("key", "seg_head").put("subdivision", s).put("threshold_logit", 0.0);
        ObjectNode dec = h.putObject("segmentation_decoder").put("key", "seg_decoder").put("subdivision", s).put("hidden", 6);
        dec.putArray("levels").add("layer.0.output").add("output.features");
        ObjectNode det = h.putObject("detection").put("key", "det_head").put("max_box", maxBox)
                .put("score_threshold", 0.5).put("nms_iou", 0.3);
        det.putArray("classes").add("nucleus");
        for (int k = 0; k < classes; k++) {
            seg.withArray("classes").add("c" + k);
            dec.withArray("classes").add("c" + k);
        }
        h.putObject("windows").put("size", winPx).put("overlap", overlapPx);
        return c;
    }

    static Weights weights(int d, int s, int classes, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> m = new LinkedHashMap<>();
        int cells = classes * s * s;
        m.put("seg_head.weight", normal(r, cells, d));
        m.put("seg_head.bias", normal(r, cells));
        m.put("seg_decoder.proj.0.weight", normal(r, 6, d));
        m.put("seg_decoder.proj.0.bias", normal(r, 6));
        m.put("seg_decoder.proj.1.weight", normal(r, 6, d));
        m.put("seg_decoder.proj.1.bias", normal(r, 6));
        m.put("seg_decoder.out.weight", normal(r, cells, 6));
        m.put("seg_decoder.out.bias", normal(r, cells));
        m.put("det_head.weight", normal(r, 5, d));
        m.put("det_head.bias", normal(r, 5));
        return new Weights("random heads", m);
    }

    static Tensor normal(Random r, int... shape) {
        float[] v = new float[Tensor.checkedNumel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    static float[] randomRows(Random r, int n, int d) {
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Collects mask bands into one H x W array and checks they arrive top to bottom without gaps. */
    static final class MaskCollector implements MaskBandSink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int width;
        int nextY, bands;
        boolean finished;

        MaskCollector(int width) { this.width = width; }

        @Override
        public void acceptBand(int y, int rows, byte[] pixels) {
            if (y != nextY) throw new AssertionError("band at " + y + ", expected " + nextY);
            if (pixels.length != rows * width) throw new AssertionError("band size");
            bytes.write(pixels, 0, pixels.length);
            nextY += rows;
            bands++;
        }

        @Override
        public void finish() { finished = true; }

        byte[] mask() { return bytes.toByteArray(); }
    }

    /** Random partition of [0, total) into chunks, with some empty and some single-token chunks. */
    static List<Integer> randomChunks(Random r, int total) {
        List<Integer> out = new ArrayList<>();
        int left = total;
        while (left > 0) {
            int c = r.nextInt(5) == 0 ? r.nextInt(2) : 1 + r.nextInt(Math.max(1, Math.min(left, 40)));
            c = Math.min(c, left);
            out.add(c);
            left -= c;
        }
        return out;
    }
}
