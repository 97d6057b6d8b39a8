package io.scanline.kernels.model;

/** Wrong, missing or unexpected weights or config values; the message names the key and what was expected. */
public final class WeightsException extends RuntimeException {
    public WeightsException(String message) {
        super(message);
    }
}
