package io.scanline.kernels.model.mamba;

import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.tensor.Tensor;

/**
 * An image zero-padded at the bottom and right to {@code height × width} (De-focus tile order pads the
 * normalized image to whole tiles). Glossary: B images, 3 channels.
 */
final class PaddedImageSource implements ImageSource {
    private final ImageSource inner;
    private final int height, width;

    PaddedImageSource(ImageSource inner, int height, int width) {
        this.inner = inner;
        this.height = height;
        this.width = width;
    }

    @Override public int batch() { return inner.batch(); }
    @Override public int height() { return height; }
    @Override public int width() { return width; }

    @Override
    public Tensor rows(int y0, int y1) {
        return region(y0, y1, 0, width);
    }

    @Override
    public Tensor region(int y0, int y1, int x0, int x1) {
        int b = batch(), h = y1 - y0, w = x1 - x0;
        float[] out = new float[b * 3 * h * w];
        int iy1 = Math.min(y1, inner.height()), ix1 = Math.min(x1, inner.width());
        if (iy1 > y0 && ix1 > x0) {
            int ih = iy1 - y0, iw = ix1 - x0;
            float[] src = inner.region(y0, iy1, x0, ix1).f32();
            for (int p = 0; p < b * 3; p++)
                for (int y = 0; y < ih; y++) System.arraycopy(src, (p * ih + y) * iw, out, (p * h + y) * w, iw);
        }
        return Tensor.of(out, b, 3, h, w);
    }
}
