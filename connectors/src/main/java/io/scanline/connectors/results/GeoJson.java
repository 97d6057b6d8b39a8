package io.scanline.connectors.results;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.connectors.image.GeoReference;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Detections as a GeoJSON FeatureCollection of box polygons.
 *
 * <ul>
 *   <li>Georeferenced input: corners mapped through the input's affine pixel-to-map transform (GDAL
 *       order, corner convention: pixel (0, 0) is the upper-left corner of the first pixel), so the file
 *       overlays the GeoTIFF in QGIS; the CRS is named with the input's EPSG code in the {@code crs} member
 *       (the 2008 GeoJSON form that QGIS and GDAL read; RFC 7946 itself only allows WGS 84).</li>
 *   <li>Other inputs: pixel coordinates, y down, as QuPath imports them; pathology inputs carry
 *       {@code microns_per_pixel}.</li>
 * </ul>
 * Rings are closed and, in map coordinates with y up, counter-clockwise (the right-hand rule).
 */
public final class GeoJson {
    private GeoJson() {}

    public static ObjectNode build(ResultImage img, List<Detection> dets) {
        ObjectNode root = CocoJson.JSON.createObjectNode().put("type", "FeatureCollection");
        GeoReference geo = img.geo();
        if (geo != null && geo.epsg() > 0) {
            root.putObject("crs").put("type", "name").putObject("properties")
                    .put("name", "urn:ogc:def:crs:EPSG::" + geo.epsg());
        }
        ObjectNode props = root.putObject("properties").put("image_id", img.id()).put("file_name", img.fileName())
                .put("width", img.width()).put("height", img.height())
                .put("coordinates", geo != null ? "map" : "pixel");
        if (img.micronsPerPixel() != null) props.put("microns_per_pixel", img.micronsPerPixel());
        ArrayNode feats = root.putArray("features");
        for (Detection d : dets) {
            ObjectNode f = feats.addObject().put("type", "Feature");
            ObjectNode g = f.putObject("geometry").put("type", "Polygon");
            ArrayNode ring = g.putArray("coordinates").addArray();
            // pixel corners in a fixed order; with y down (pixels) this order is clockwise on screen and
            // becomes counter-clockwise once a north-up transform flips y
            double[][] px = {{d.x0(), d.y1()}, {d.x1(), d.y1()}, {d.x1(), d.y0()}, {d.x0(), d.y0()}, {d.x0(), d.y1()}};
            if (geo != null && determinant(geo) > 0) java.util.Collections.reverse(java.util.Arrays.asList(px));
            for (double[] p : px) {
                double[] xy = geo != null ? geo.pixelToMap(p[0], p[1]) : p;
                ring.addArray().add(xy[0]).add(xy[1]);
            }
            ObjectNode fp = f.putObject("properties").put("score", d.score()).put("category", d.category());
            fp.putObject("classification").put("name", d.category());   // QuPath reads this
            fp.put("objectType", "detection");
        }
        return root;
    }

    /** Sign of the pixel-to-map Jacobian: negative for the usual north-up transform (y flips). */
    static double determinant(GeoReference geo) {
        double[] t = geo.geoTransform();
        return t[1] * t[5] - t[2] * t[4];
    }

    public static void write(Path file, ResultImage img, List<Detection> dets) throws IOException {
        CocoJson.JSON.writeValue(file.toFile(), build(img, dets));
    }
}
