package io.scanline.connectors.image;

import java.util.Arrays;
import java.util.Locale;

/**
 * GeoTIFF georeferencing as an affine pixel-to-map transform, in GDAL's geotransform order and
 * its area convention: pixel coordinates (col, row) = (0, 0) name the upper-left corner of the first
 * pixel, so a file tagged PixelIsPoint is shifted by half a pixel when converted (as GDAL does).
 *
 * <pre>
 *   X = gt[0] + col * gt[1] + row * gt[2]
 *   Y = gt[3] + col * gt[4] + row * gt[5]
 * </pre>
 *
 * @param geoTransform the six coefficients above
 * @param epsg         EPSG code of the projected (or else geographic) CRS, 0 when user-defined or absent
 * @param pixelIsPoint the raster type key said PixelIsPoint
 */
public record GeoReference(double[] geoTransform, int epsg, boolean pixelIsPoint) {

    public GeoReference {
        if (geoTransform.length != 6) {
            throw new IllegalArgumentException("geotransform needs 6 coefficients");
        }
        geoTransform = geoTransform.clone();
    }

    @Override
    public double[] geoTransform() {
        return geoTransform.clone();
    }

    public double[] pixelToMap(double col, double row) {
        return new double[]{geoTransform[0] + col * geoTransform[1] + row * geoTransform[2],
                geoTransform[3] + col * geoTransform[4] + row * geoTransform[5]};
    }

    /** The transform of a pyramid level whose pixels are {@code downsample} level-0 pixels wide. */
    public GeoReference scaled(double downsampleX, double downsampleY) {
        double[] g = geoTransform.clone();
        g[1] *= downsampleX;
        g[4] *= downsampleX;
        g[2] *= downsampleY;
        g[5] *= downsampleY;
        return new GeoReference(g, epsg, pixelIsPoint);
    }

    public String describe() {
        return String.format(Locale.ROOT, "EPSG:%s origin=(%.6f, %.6f) pixel=(%.9g, %.9g) rotation=(%.9g, %.9g)",
                epsg == 0 ? "unknown" : Integer.toString(epsg), geoTransform[0], geoTransform[3],
                geoTransform[1], geoTransform[5], geoTransform[2], geoTransform[4]);
    }

    @Override
    public String toString() {
        return "GeoReference" + Arrays.toString(geoTransform) + " epsg=" + epsg + (pixelIsPoint ? " point" : " area");
    }
}
