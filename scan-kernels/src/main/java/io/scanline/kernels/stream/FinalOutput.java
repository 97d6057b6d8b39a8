package io.scanline.kernels.stream;

/**
 * What an image scan yields at the end of the image. Glossary: K classes, D width.
 *
 * @param logits     (K) image logits
 * @param preLogits  (D) features the head was applied to (the class token's features)
 * @param tokens     patch tokens consumed
 */
public record FinalOutput(String imageId, float[] logits, float[] preLogits, long tokens) {
    /** Index of the largest logit. */
    public int argmax() {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
