package io.scanline.kernels.bench;

import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.tensor.Tensor;

import java.util.stream.IntStream;

/**
 * A deterministic synthetic image of any size whose pixels are generated on demand from an integer
 * hash of (image, channel, y, x), so that gigapixel-sized streams can be tested and benchmarked without
 * ever materializing the image. Values are roughly those of a normalized image (about [−2, 2]).
 *
 * <p>Glossary: B images, 3 channels, H × W pixels.
 */
public final class SyntheticImage implements ImageSource {
    private static final int PARALLEL_PIXELS = 1 << 15;
    private final int batch, height, width;
    private final long seed;

    public SyntheticImage(int batch, int height, int width, long seed) {
        if (batch < 1 || height < 1 || width < 1) throw new IllegalArgumentException("bad synthetic image size " + batch + "x" + height + "x" + width);
        this.batch = batch;
        this.height = height;
        this.width = width;
        this.seed = seed;
    }

    @Override public int batch() { return batch; }
    @Override public int height() { return height; }
    @Override public int width() { return width; }

    @Override
    public Tensor rows(int y0, int y1) {
        return region(y0, y1, 0, width);
    }

    @Override
    public Tensor region(int y0, int y1, int x0, int x1) {
        if (y0 < 0 || y1 < y0 || y1 > height || x0 < 0 || x1 < x0 || x1 > width) {
            throw new IndexOutOfBoundsException("region [" + y0 + ", " + y1 + ") x [" + x0 + ", " + x1 + ") of " + height + "x" + width);
        }
        int h = y1 - y0, w = x1 - x0;
        float[] out = new float[Math.multiplyExact(Math.multiplyExact(batch * 3, h), w)];
        // pixel rows in parallel past a few rows' worth, as a decoder that keeps up with the GPU would: made
        // by one thread, the pixels were most of the wall time of a small model's forward on the GPU machine
        // (ViL2-tiny at 4096², sampled every 2 ms)
        IntStream rows = IntStream.range(0, batch * 3 * h);
        (out.length >= PARALLEL_PIXELS ? rows.parallel() : rows).forEach(i -> {
            int b = i / (3 * h), c = i / h % 3, y = y0 + i % h;
            for (int x = x0, o = i * w; x < x1; x++) out[o++] = pixel(b, c, y, x);
        });
        return Tensor.of(out, batch, 3, h, w);
    }

    /**
     * Hash noise plus a triangle wave over x and y, so neighbouring patches differ but stay correlated.
     * Integer arithmetic only: generating pixels must stay cheap next to the model (10⁸ pixels per
     * 8192² image).
     */
    public float pixel(int b, int c, int y, int x) {
        int h = x * 0x9E3779B1 ^ y * 0x85EBCA77 ^ (c + 3 * b + (int) seed * 7) * 0xC2B2AE3D;
        h ^= h >>> 15;
        h *= 0x2C1B3C6D;
        h ^= h >>> 12;
        float noise = (h & 0xFFFF) / 65535f - 0.5f;
        int p = (x + 2 * y + 37 * c) & 127;
        float wave = (p < 64 ? p : 128 - p) / 32f - 1f;
        return 1.2f * wave + noise;
    }
}
