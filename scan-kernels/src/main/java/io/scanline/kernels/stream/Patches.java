package io.scanline.kernels.stream;

import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.tensor.Tensor;

/**
 * Cuts a normalized image into raster-ordered patch chunks (spec models D6), the producer side of
 * {@link ImageScan#accept}. Glossary: Hp × Wp grid = floor(H/ps) × floor(W/ps) (stride = ps, the
 * remainder is cropped like the patch-embedding conv does), n patches per chunk.
 */
public final class Patches {
    private Patches() {}

    public static int gridH(ImageSource img, int ps) { return img.height() / ps; }

    public static int gridW(ImageSource img, int ps) { return img.width() / ps; }

    /** Patches [t0, t1) of image 0 of the source: (t1 − t0, 3, ps, ps). */
    public static Tensor range(ImageSource img, int ps, int t0, int t1) {
        int wp = gridW(img, ps), w = img.width();
        float[] out = new float[(t1 - t0) * 3 * ps * ps];
        int t = t0;
        while (t < t1) {
            int r = t / wp, c0 = t % wp, c1 = Math.min(wp, c0 + (t1 - t));
            float[] band = img.rows(r * ps, r * ps + ps).f32();   // (B, 3, ps, W); image 0 only
            for (int c = c0; c < c1; c++)
                for (int ch = 0; ch < 3; ch++)
                    for (int y = 0; y < ps; y++)
                        System.arraycopy(band, (ch * ps + y) * w + c * ps, out, (((t - t0 + c - c0) * 3 + ch) * ps + y) * ps, ps);
            t += c1 - c0;
        }
        return Tensor.of(out, t1 - t0, 3, ps, ps);
    }
}
