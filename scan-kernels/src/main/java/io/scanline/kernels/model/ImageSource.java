package io.scanline.kernels.model;

import io.scanline.kernels.tensor.Tensor;

/**
 * Normalized pixels of B same-sized images, read by bands of rows so that a model never needs the
 * whole image in memory. Glossary: B images, 3 channels, H × W pixels.
 */
public interface ImageSource {
    int batch();

    int height();

    int width();

    /** Rows [y0, y1) of every image: (B, 3, y1 − y0, W), normalized (spec models §1.2). */
    Tensor rows(int y0, int y1);

    /**
     * Pixels [y0, y1) × [x0, x1) of every image: (B, 3, y1 − y0, x1 − x0). Sources that can read a
     * window cheaply (tiled files, synthetic images) override this so that a chunk's patch embedding
     * never touches a full-width band; the default cuts it out of {@link #rows}.
     */
    default Tensor region(int y0, int y1, int x0, int x1) {
        int w = width();
        if (x0 == 0 && x1 == w) return rows(y0, y1);
        if (x0 < 0 || x1 < x0 || x1 > w) throw new IndexOutOfBoundsException("columns [" + x0 + ", " + x1 + ") of width " + w);
        Tensor band = rows(y0, y1);
        int b = batch(), h = y1 - y0, cw = x1 - x0;
        float[] src = band.f32(), out = new float[b * 3 * h * cw];
        for (int p = 0; p < b * 3 * h; p++) System.arraycopy(src, p * w + x0, out, p * cw, cw);
        return Tensor.of(out, b, 3, h, cw);
    }

    /** A source over an image tensor already in memory, (B, 3, H, W). */
    static ImageSource of(Tensor image) {
        if (image.rank() != 4 || image.dim(1) != 3) {
            throw new IllegalArgumentException("image must be (B, 3, H, W), got " + image);
        }
        return new ImageSource() {
            @Override public int batch() { return image.dim(0); }
            @Override public int height() { return image.dim(2); }
            @Override public int width() { return image.dim(3); }

            @Override
            public Tensor rows(int y0, int y1) {
                int b = batch(), h = height(), w = width();
                float[] src = image.f32(), out = new float[b * 3 * (y1 - y0) * w];
                for (int bi = 0; bi < b; bi++)
                    for (int c = 0; c < 3; c++)
                        System.arraycopy(src, ((bi * 3 + c) * h + y0) * w, out, ((bi * 3 + c) * (y1 - y0)) * w, (y1 - y0) * w);
                return Tensor.of(out, b, 3, y1 - y0, w);
            }
        };
    }
}
