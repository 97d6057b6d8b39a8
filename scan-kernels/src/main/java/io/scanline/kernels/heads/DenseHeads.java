package io.scanline.kernels.heads;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;

import java.util.ArrayList;
import java.util.List;

/**
 * The dense heads of a model folder: read from the {@code dense_heads} section of {@code config.json}
 * and from head keys in the same weights file as the backbone. Loading them marks their keys used, so
 * load the heads before building the backbone (whose loader rejects keys nobody asked for).
 *
 * <pre>
 * "dense_heads": {
 *   "segmentation":         {"key": "seg_head", "classes": ["nucleus"], "subdivision": 4, "threshold_logit": 0.0},
 *   "segmentation_decoder": {"key": "seg_decoder", "classes": [...], "subdivision": 4,
 *                            "levels": ["layer.0.output", "output.features"], "hidden": 32, "level_norm_eps": 1e-6},
 *   "detection":            {"key": "det_head", "classes": ["nucleus"], "max_box": 64, "score_threshold": 0.5, "nms_iou": 0.3},
 *   "windows":              {"size": 128, "overlap": 32},         (pixels, multiples of patch_size)
 *   "weights":              "heads.safetensors"                   (optional: head keys in their own file)
 * }
 * </pre>
 * Glossary: D embed width, ps patch size in pixels.
 */
public final class DenseHeads {
    private final int patch, d;
    private final SegmentationHead seg;
    private final MultiLevelDecoder decoder;
    private final DetectionHead det;
    private final List<String> segClasses, detClasses;
    private final double segThreshold, nmsIou;
    private final int windowSize, windowOverlap;

    private DenseHeads(int patch, int d, SegmentationHead seg, MultiLevelDecoder decoder, DetectionHead det,
                       List<String> segClasses, List<String> detClasses, double segThreshold, double nmsIou,
                       int windowSize, int windowOverlap) {
        this.patch = patch;
        this.d = d;
        this.seg = seg;
        this.decoder = decoder;
        this.det = det;
        this.segClasses = segClasses;
        this.detClasses = detClasses;
        this.segThreshold = segThreshold;
        this.nmsIou = nmsIou;
        this.windowSize = windowSize;
        this.windowOverlap = windowOverlap;
    }

    /** Heads of a config whose head keys are in {@code w} (which may also hold the backbone's keys). */
    public static DenseHeads load(JsonNode config, Weights w) {
        JsonNode h = config.path("dense_heads");
        if (!h.isObject()) throw new WeightsException("config.json has no 'dense_heads' section: this model has no dense heads");
        int patch = positive(config, "patch_size");
        int d = positive(config, "embed_dim");
        SegmentationHead seg = null;
        MultiLevelDecoder dec = null;
        DetectionHead det = null;
        List<String> segClasses = List.of(), detClasses = List.of();
        double thr = 0, iou = 0.5;
        JsonNode s = h.path("segmentation");
        if (s.isObject()) {
            segClasses = names(s, "segmentation");
            seg = SegmentationHead.load(w, text(s, "key", "seg_head"), d, segClasses.size(), subdivision(s, patch));
            thr = s.path("threshold_logit").asDouble(0.0);
        }
        JsonNode m = h.path("segmentation_decoder");
        if (m.isObject()) {
            List<String> levels = new ArrayList<>();
            m.path("levels").forEach(n -> levels.add(n.asText()));
            if (levels.isEmpty()) throw new WeightsException("dense_heads.segmentation_decoder.levels is empty");
            List<String> cls = names(m, "segmentation_decoder");
            if (!segClasses.isEmpty() && !segClasses.equals(cls)) throw new WeightsException("segmentation and decoder classes differ");
            segClasses = cls;
            String key = text(m, "key", "seg_decoder");
            int hidden = m.path("hidden").asInt(Linear.outWidth(w, key + ".proj.0"));
            dec = MultiLevelDecoder.load(w, key, d, levels, hidden, cls.size(), subdivision(m, patch),
                    m.path("level_norm_eps").asDouble(1e-6));
            if (!s.isObject()) thr = m.path("threshold_logit").asDouble(0.0);
        }
        JsonNode t = h.path("detection");
        if (t.isObject()) {
            detClasses = names(t, "detection");
            if (detClasses.size() != 1) throw new WeightsException("dense_heads.detection supports one class, got " + detClasses);
            det = DetectionHead.load(w, text(t, "key", "det_head"), d, t.path("max_box").asDouble(4.0 * patch),
                    t.path("score_threshold").asDouble(0.5));
            iou = t.path("nms_iou").asDouble(0.5);
        }
        JsonNode win = h.path("windows");
        int ws = win.path("size").asInt(0), wo = win.path("overlap").asInt(0);
        if (ws % patch != 0 || wo % patch != 0 || ws < 0 || wo < 0 || (ws > 0 && wo >= ws)) {
            throw new WeightsException("dense_heads.windows: size " + ws + " and overlap " + wo
                    + " must be multiples of patch_size " + patch + " with overlap < size");
        }
        return new DenseHeads(patch, d, seg, dec, det, segClasses, detClasses, thr, iou, ws / patch, wo / patch);
    }

    private static int positive(JsonNode c, String key) {
        int v = c.path(key).asInt(0);
        if (v <= 0) throw new WeightsException("config.json: '" + key + "' must be a positive integer");
        return v;
    }

    private static String text(JsonNode n, String key, String dflt) {
        return n.hasNonNull(key) ? n.get(key).asText() : dflt;
    }

    private static List<String> names(JsonNode n, String where) {
        List<String> out = new ArrayList<>();
        n.path("classes").forEach(c -> out.add(c.asText()));
        if (out.isEmpty()) throw new WeightsException("dense_heads." + where + ".classes must list at least one class name");
        return List.copyOf(out);
    }

    private static int subdivision(JsonNode n, int patch) {
        int s = n.path("subdivision").asInt(1);
        if (s <= 0 || patch % s != 0) throw new WeightsException("subdivision " + s + " must divide patch_size " + patch);
        return s;
    }

    public int patch() { return patch; }

    public int width() { return d; }

    /** The segmentation head to use: the decoder when asked and present, else the per-token linear head. */
    public CellHead segmentation(boolean preferDecoder) {
        if (preferDecoder && decoder != null) return decoder;
        if (seg != null) return seg;
        if (decoder != null) return decoder;
        return null;
    }

    public MultiLevelDecoder decoder() { return decoder; }

    public DetectionHead detection() { return det; }

    public List<String> segmentationClasses() { return segClasses; }

    public List<String> detectionClasses() { return detClasses; }

    public double segmentationThreshold() { return segThreshold; }

    public double nmsIou() { return nmsIou; }

    /** Window size and overlap in tokens; size 0 = no windows configured. */
    public int windowTokens() { return windowSize; }

    public int windowOverlapTokens() { return windowOverlap; }
}
