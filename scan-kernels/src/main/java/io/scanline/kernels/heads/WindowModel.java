package io.scanline.kernels.heads;

/**
 * Runs the backbone over one window of the image and returns the per-token feature levels of its patch
 * tokens (rows * cols tokens, raster order inside the window; no class token).
 */
@FunctionalInterface
public interface WindowModel {
    TokenLevels forward(WindowPlan.Window window) throws Exception;
}
