package io.scanline.connectors.image;

/**
 * One image inside a file.
 *
 * @param imageIndex  index of the image (TIFF directory) in the file
 * @param kind        pyramid level or associated image
 * @param width       pixels
 * @param height      pixels
 * @param tiled       tiles (true) or strips / a single block (false)
 * @param tileWidth   tile width, or the image width for strips
 * @param tileHeight  tile height, or rows per strip
 * @param compression compression name for reports
 * @param samples     samples per pixel as stored
 * @param bitsPerSample bits per sample as stored
 * @param downsample  level-0 width / this width (1 for level 0 and associated images)
 */
public record Level(int imageIndex, LevelKind kind, int width, int height, boolean tiled, int tileWidth, int tileHeight,
                    String compression, int samples, int bitsPerSample, double downsample) {

    public long pixels() {
        return (long) width * height;
    }
}
