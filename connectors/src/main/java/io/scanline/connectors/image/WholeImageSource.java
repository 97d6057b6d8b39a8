package io.scanline.connectors.image;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Plain JPEG and PNG. Neither format can be decoded by rows through ImageIO without re-decoding
 * from the top for every band, so the image is decoded once, on the first read, and held; the
 * header dimensions are checked against {@link IngestLimits#maxReadBytes()} before any pixel is
 * decoded.
 */
public final class WholeImageSource implements ImageSource {
    private final Path file;
    private final String format;
    private final Level level;
    private final ImageInputStream in;
    private final ImageReader reader;
    private final DecodeGuard guard;
    private RgbBand decoded;

    private WholeImageSource(Path file, String format, IngestLimits limits) throws IngestException {
        this.file = file;
        this.format = format;
        try {
            this.in = new FileImageInputStream(file.toFile());
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, file.toString(), "cannot open: " + e.getMessage(), e);
        }
        this.guard = new DecodeGuard(file.toString(), limits.decodeTimeout());
        try {
            this.reader = createReader(format);
            reader.setInput(in, true, true);
            int[] wh = guard.run("reading the " + format + " header", () -> new int[]{reader.getWidth(0), reader.getHeight(0)});
            int w = wh[0], h = wh[1];
            if (w <= 0 || h <= 0 || w > limits.maxDimension() || h > limits.maxDimension()) {
                throw new IngestException(RejectReason.DIMENSION_LIMIT, file.toString(),
                        "image is " + w + "x" + h + " (each side must be 1.." + limits.maxDimension() + ")");
            }
            long px = (long) w * h;
            if (px > limits.maxPixelsPerLevel()) {
                throw new IngestException(RejectReason.PIXEL_LIMIT, file.toString(), px + " pixels (limit " + limits.maxPixelsPerLevel() + ")");
            }
            if (px * 4 > limits.maxReadBytes() || px * 4 > Integer.MAX_VALUE - 16) {
                throw new IngestException(RejectReason.TILE_BYTES_LIMIT, file.toString(), format + " of " + px
                        + " pixels must be decoded whole and exceeds maxReadBytes " + limits.maxReadBytes() + "; convert it to tiled TIFF");
            }
            this.level = new Level(0, LevelKind.LEVEL, w, h, false, w, h, format, 0, 8, 1.0);
        } catch (IngestException e) {
            close();
            if (e.reason() == RejectReason.DECODE_FAILED || e.reason() == RejectReason.TRUNCATED) {
                throw new IngestException(RejectReason.MALFORMED, file.toString(), "unreadable " + format + " header: " + e.detail(), e);
            }
            throw e;
        } catch (RuntimeException e) {
            close();
            throw new IngestException(RejectReason.MALFORMED, file.toString(), "unreadable " + format + " header: " + e, e);
        }
    }

    /**
     * The registered reader for the format, TwelveMonkeys' first for JPEG (it handles CMYK, Adobe
     * and broken-marker files the JDK reader rejects). Its SPI must come from the registry: it
     * delegates to the JDK reader that registration wires in.
     */
    private static ImageReader createReader(String format) throws IngestException {
        ImageReader fallback = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format.toLowerCase(java.util.Locale.ROOT)); it.hasNext(); ) {
            ImageReader r = it.next();
            if (r.getClass().getName().startsWith("com.twelvemonkeys.")) {
                return r;
            }
            if (fallback == null) {
                fallback = r;
            }
        }
        if (fallback == null) {
            throw new IngestException(RejectReason.UNSUPPORTED_FORMAT, format, "no " + format + " reader on this JVM");
        }
        return fallback;
    }

    static WholeImageSource open(Path file, String format, IngestLimits limits) throws IngestException {
        return new WholeImageSource(file, format, limits);
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public String source() {
        return file.toString();
    }

    @Override
    public List<Level> levels() {
        return List.of(level);
    }

    @Override
    public List<Level> images() {
        return List.of(level);
    }

    @Override
    public OptionalDouble mppLevel0() {
        return OptionalDouble.empty();
    }

    @Override
    public OptionalDouble appMag() {
        return OptionalDouble.empty();
    }

    @Override
    public Optional<GeoReference> geoReference() {
        return Optional.empty();
    }

    @Override
    public RgbBand readRows(int lvl, int y, int rows) throws IngestException {
        if (lvl != 0 || y < 0 || rows <= 0 || y + (long) rows > level.height()) {
            throw new IngestException(RejectReason.BAD_REQUEST, file.toString(), "level " + lvl + " rows " + y + "+" + rows);
        }
        if (decoded == null) {
            decoded = guard.run("decoding the " + format + " image", () -> {
                BufferedImage img = reader.read(0);
                if (img.getWidth() != level.width() || img.getHeight() != level.height()) {
                    throw new IngestException(RejectReason.DECODE_FAILED, file.toString(), "decoded size differs from the header");
                }
                byte[] rgb = new byte[level.width() * level.height() * 3];
                RgbConversion.toRgb(img, rgb, 0);
                return new RgbBand(0, level.width(), level.height(), rgb);
            });
        }
        byte[] out = new byte[level.width() * rows * 3];
        System.arraycopy(decoded.rgb(), y * level.width() * 3, out, 0, out.length);
        return new RgbBand(y, level.width(), rows, out);
    }

    @Override
    public void close() {
        guard.close();
        if (reader != null) {
            reader.dispose();
        }
        try {
            in.close();
        } catch (IOException ignored) {
            // read-only stream
        }
    }
}
