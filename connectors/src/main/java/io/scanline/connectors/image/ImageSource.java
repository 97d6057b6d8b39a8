package io.scanline.connectors.image;

import io.scanline.connectors.ingest.IngestException;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * An opened image file that is read by rows, never whole (except plain JPEG/PNG, which the formats
 * force to decode in one piece, bounded by {@code IngestLimits.maxReadBytes}). Not thread-safe:
 * one source serves one task thread, like the ImageIO reader behind it.
 */
public interface ImageSource extends AutoCloseable {

    /** Format for reports, e.g. {@code "SVS (TIFF)"}, {@code "GeoTIFF (BigTIFF)"}, {@code "PNG"}. */
    String format();

    /** File or URI this source reads. */
    String source();

    /** The pyramid, level 0 first, coarser levels after. */
    List<Level> levels();

    /** Every image in the file (pyramid levels and associated images), in file order. */
    List<Level> images();

    /** Microns per pixel at level 0, when the file says. */
    OptionalDouble mppLevel0();

    /** Objective magnification, when the file says. */
    OptionalDouble appMag();

    /** Georeferencing of level 0, when the file has it. */
    Optional<GeoReference> geoReference();

    /**
     * Decodes rows [y, y + rows) of a pyramid level, full width, as RGB. Gray is replicated to R=G=B,
     * palettes are expanded, samples wider than 8 bits keep their top 8 bits.
     */
    RgbBand readRows(int level, int y, int rows) throws IngestException;

    @Override
    void close();
}
