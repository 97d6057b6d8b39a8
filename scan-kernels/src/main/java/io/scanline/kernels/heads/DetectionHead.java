package io.scanline.kernels.heads;

import io.scanline.kernels.model.Weights;

import java.util.ArrayList;
import java.util.List;

/**
 * Dense per-token detection: each patch token predicts [objectness, dx, dy, w, h] (one class). Decoding:
 * score = sigmoid(objectness); centre = token centre + tanh(dx, dy) patches; size = maxBox * sigmoid(w, h).
 * The bounds (centre within one patch of its token, size below maxBox) let {@link StreamingNms} know how
 * far a box of a future token can reach.
 *
 * <p>Glossary: n tokens, D feature width, ps patch size in pixels, Wp grid width in tokens.
 */
public final class DetectionHead {
    public static final int OUTPUTS = 5;
    private final Linear linear;
    private final double maxBox, scoreThreshold;

    DetectionHead(Linear linear, double maxBox, double scoreThreshold) {
        if (linear.out != OUTPUTS) throw new IllegalArgumentException("detection head needs " + OUTPUTS + " outputs, has " + linear.out);
        if (!(maxBox > 0)) throw new IllegalArgumentException("max_box must be > 0, got " + maxBox);
        this.linear = linear;
        this.maxBox = maxBox;
        this.scoreThreshold = scoreThreshold;
    }

    public static DetectionHead load(Weights w, String key, int d, double maxBox, double scoreThreshold) {
        return new DetectionHead(Linear.load(w, key, OUTPUTS, d), maxBox, scoreThreshold);
    }

    public double maxBox() { return maxBox; }

    /** Raw outputs (n, 5) for n tokens of final features (n, D). */
    public float[] raw(float[] features, int n) {
        return linear.apply(features, n);
    }

    /**
     * Boxes above the score threshold proposed by tokens [firstToken, firstToken + n) of a grid Wp tokens
     * wide, in the pixel frame of that grid (add the window origin for windows).
     */
    public List<Box> decode(float[] raw, int n, long firstToken, int gridWidth, int patch) {
        List<Box> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Box b = decodeOne(raw, i, firstToken + i, gridWidth, patch);
            if (b != null) out.add(b);
        }
        return out;
    }

    Box decodeOne(float[] raw, int i, long token, int gridWidth, int patch) {
        int o = i * OUTPUTS;
        double score = sigmoid(raw[o]);
        if (!(score > scoreThreshold)) return null;
        long r = token / gridWidth, c = token % gridWidth;
        double cx = (c + 0.5 + Math.tanh(raw[o + 1])) * patch;
        double cy = (r + 0.5 + Math.tanh(raw[o + 2])) * patch;
        double w = maxBox * sigmoid(raw[o + 3]), h = maxBox * sigmoid(raw[o + 4]);
        return new Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, 0, token);
    }

    /** Lowest top edge any box proposed by a token of grid row {@code row} or later can have. */
    public double minTopFromRow(long row, int patch) {
        return (row - 0.5) * patch - maxBox / 2;
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
