package io.scanline.connectors.results;

import io.scanline.connectors.image.GeoReference;

/**
 * What the encoders need to know about the input image.
 *
 * @param id             image id (Kafka key, COCO image id as a string)
 * @param fileName       name of the input file
 * @param width          level-0 width in pixels
 * @param height         level-0 height in pixels
 * @param micronsPerPixel level-0 pixel size for pathology images, else null
 * @param geo            georeferencing of level 0 for GeoTIFF inputs, else null
 */
public record ResultImage(String id, String fileName, int width, int height, Double micronsPerPixel, GeoReference geo) {
    public ResultImage {
        if (id == null || id.isEmpty()) throw new IllegalArgumentException("result image needs an id");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size " + width + "x" + height);
    }
}
