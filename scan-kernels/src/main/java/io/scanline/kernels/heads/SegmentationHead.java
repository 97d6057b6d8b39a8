package io.scanline.kernels.heads;

import io.scanline.kernels.model.Weights;

/**
 * Per-token linear segmentation head over the final features: every patch token predicts an s x s block
 * of sub-cell logits for each class, so the mask has s times the patch resolution before the bilinear
 * upsampling to pixels ({@link Upsampler}).
 *
 * <p>Glossary: n tokens, D feature width, C classes, s sub-cells per patch side; output per token is
 * {@code s*s*C} values ordered (class, cell row, cell col) — for C = 1 simply the s x s block row-major.
 */
public final class SegmentationHead implements CellHead {
    private final Linear linear;
    private final int classes, subdivision;

    SegmentationHead(Linear linear, int classes, int subdivision) {
        if (linear.out != classes * subdivision * subdivision) {
            throw new IllegalArgumentException("segmentation head has " + linear.out + " outputs, expected classes "
                    + classes + " x subdivision^2 " + subdivision * subdivision);
        }
        this.linear = linear;
        this.classes = classes;
        this.subdivision = subdivision;
    }

    public static SegmentationHead load(Weights w, String key, int d, int classes, int subdivision) {
        return new SegmentationHead(Linear.load(w, key, classes * subdivision * subdivision, d), classes, subdivision);
    }

    @Override
    public int classes() { return classes; }

    @Override
    public int subdivision() { return subdivision; }

    @Override
    public float[] cells(TokenLevels levels, int n) {
        return linear.apply(levels.get(TokenLevels.FEATURES), n);
    }
}
