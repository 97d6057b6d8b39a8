package io.scanline.kernels.heads;

/** Receives the pixel mask in row bands, top to bottom: {@code rows * width} bytes, row-major. */
public interface MaskBandSink {
    void acceptBand(int y, int rows, byte[] pixels);

    void finish();
}
