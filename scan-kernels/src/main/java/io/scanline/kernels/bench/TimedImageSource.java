package io.scanline.kernels.bench;

import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.tensor.Tensor;

/**
 * An image source that adds up the wall time spent in its reads: the part of a forward that is the
 * benchmark's input, not the model (on a GPU a small model's forward was mostly that).
 */
final class TimedImageSource implements ImageSource {
    private final ImageSource inner;
    private long nanos;

    TimedImageSource(ImageSource inner) { this.inner = inner; }

    /** Seconds spent in {@link #rows} and {@link #region} so far. */
    double seconds() { return nanos / 1e9; }

    @Override public int batch() { return inner.batch(); }
    @Override public int height() { return inner.height(); }
    @Override public int width() { return inner.width(); }

    @Override
    public Tensor rows(int y0, int y1) {
        long t0 = System.nanoTime();
        try {
            return inner.rows(y0, y1);
        } finally {
            nanos += System.nanoTime() - t0;
        }
    }

    @Override
    public Tensor region(int y0, int y1, int x0, int x1) {
        long t0 = System.nanoTime();
        try {
            return inner.region(y0, y1, x0, x1);
        } finally {
            nanos += System.nanoTime() - t0;
        }
    }
}
