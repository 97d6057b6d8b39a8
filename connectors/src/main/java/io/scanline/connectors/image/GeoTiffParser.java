package io.scanline.connectors.image;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.tiff.TiffDirectory;
import io.scanline.connectors.tiff.TiffEntry;
import io.scanline.connectors.tiff.TiffScanner;
import io.scanline.connectors.tiff.TiffStructure;
import io.scanline.connectors.tiff.TiffTags;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads GeoTIFF georeferencing from a scanned directory: ModelTransformation (4x4, row-major) when
 * present, else one ModelTiepoint with ModelPixelScale; the EPSG code from the GeoKey directory
 * (ProjectedCSTypeGeoKey 3072, else GeographicTypeGeoKey 2048) and the raster type (1025).
 */
final class GeoTiffParser {
    private static final int KEY_RASTER_TYPE = 1025;
    private static final int KEY_GEOGRAPHIC_TYPE = 2048;
    private static final int KEY_PROJECTED_TYPE = 3072;
    private static final int USER_DEFINED = 32767;

    private GeoTiffParser() {
    }

    static Optional<GeoReference> parse(Path file, TiffStructure s, TiffDirectory d, IngestLimits limits) throws IngestException {
        TiffEntry transform = d.entries().get(TiffTags.MODEL_TRANSFORMATION);
        TiffEntry tie = d.entries().get(TiffTags.MODEL_TIEPOINT);
        TiffEntry scale = d.entries().get(TiffTags.MODEL_PIXEL_SCALE);
        TiffEntry keys = d.entries().get(TiffTags.GEO_KEY_DIRECTORY);
        if (transform == null && (tie == null || scale == null)) {
            return Optional.empty();
        }
        int epsg = 0;
        boolean point = false;
        if (keys != null) {
            long[] k = TiffScanner.integers(file, s, keys, limits);
            if (k.length < 4 || k.length < 4 + 4 * k[3]) {
                throw new IngestException(RejectReason.MALFORMED, file.toString(), "GeoKeyDirectory of " + k.length + " shorts is cut short");
            }
            int projected = 0, geographic = 0;
            for (int i = 0; i < k[3]; i++) {
                int id = (int) k[4 + 4 * i], loc = (int) k[5 + 4 * i];
                long value = k[7 + 4 * i];
                if (loc != 0) {
                    continue; // keys we need are SHORTs stored inline
                }
                if (id == KEY_RASTER_TYPE) {
                    point = value == 2;
                } else if (id == KEY_PROJECTED_TYPE) {
                    projected = (int) value;
                } else if (id == KEY_GEOGRAPHIC_TYPE) {
                    geographic = (int) value;
                }
            }
            epsg = projected != 0 && projected != USER_DEFINED ? projected
                    : geographic != 0 && geographic != USER_DEFINED ? geographic : 0;
        }
        double[] gt;
        if (transform != null) {
            double[] m = TiffScanner.doubles(file, s, transform, limits);
            if (m.length < 16) {
                throw new IngestException(RejectReason.MALFORMED, file.toString(), "ModelTransformation has " + m.length + " values (16 needed)");
            }
            gt = new double[]{m[3], m[0], m[1], m[7], m[4], m[5]};
        } else {
            double[] t = TiffScanner.doubles(file, s, tie, limits);
            double[] sc = TiffScanner.doubles(file, s, scale, limits);
            if (t.length < 6 || sc.length < 2) {
                throw new IngestException(RejectReason.MALFORMED, file.toString(), "ModelTiepoint/ModelPixelScale too short");
            }
            double i = t[0], j = t[1], x = t[3], y = t[4];
            gt = new double[]{x - i * sc[0], sc[0], 0, y + j * sc[1], 0, -sc[1]};
        }
        for (double v : gt) {
            if (!Double.isFinite(v)) {
                throw new IngestException(RejectReason.MALFORMED, file.toString(), "georeferencing has a non-finite coefficient");
            }
        }
        if (point) {
            // PixelIsPoint names pixel centres; shift to the corner convention GDAL reports.
            gt[0] -= 0.5 * gt[1] + 0.5 * gt[2];
            gt[3] -= 0.5 * gt[4] + 0.5 * gt[5];
        }
        return Optional.of(new GeoReference(gt, epsg, point));
    }
}
