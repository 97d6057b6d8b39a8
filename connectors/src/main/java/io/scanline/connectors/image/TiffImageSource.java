package io.scanline.connectors.image;

import com.twelvemonkeys.imageio.plugins.tiff.TIFFImageReaderSpi;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.tiff.TiffDirectory;
import io.scanline.connectors.tiff.TiffScanner;
import io.scanline.connectors.tiff.TiffStructure;

import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * TIFF / BigTIFF / SVS / GeoTIFF through TwelveMonkeys, after {@link TiffScanner} has validated the
 * structure (so the decoder never walks a looping chain or allocates from a bogus count).
 *
 * <p>Rows are decoded in full-width <em>block rows</em> (one tile row, or a few strips): a tile row
 * read as one source region decodes each tile once, and full-width regions avoid TwelveMonkeys
 * issue 746 (tile/region reads fail on LZW, Deflate and uncompressed tiled TIFFs). The last block row
 * is cached, so row bands of a few pixels cost one decode per tile.
 */
public final class TiffImageSource implements ImageSource {
    /** Block rows are at least this tall, so files with one-row strips do not pay per-row overhead. */
    private static final int MIN_BLOCK_ROWS = 64;

    private final Path file;
    private final IngestLimits limits;
    private final TiffStructure structure;
    private final List<Level> images;
    private final List<Level> levels;
    private final String format;
    private final SvsMetadata svs;
    private final GeoReference geo;
    private final ImageInputStream in;
    private final ImageReader reader;
    private final DecodeGuard guard;
    private int cachedLevel = -1;
    private RgbBand cached;

    private TiffImageSource(Path file, IngestLimits limits, TiffStructure s) throws IngestException {
        this.file = file;
        this.limits = limits;
        this.structure = s;
        List<TiffDirectory> dirs = s.directories();
        TiffDirectory d0 = dirs.get(0);
        if (d0.hasSubIfds()) {
            throw new IngestException(RejectReason.UNSUPPORTED_FEATURE, file.toString(),
                    "SubIFD pyramids (OME-TIFF style) are not supported; store levels as top-level IFDs");
        }
        this.svs = SvsMetadata.isSvs(d0.description()) ? SvsMetadata.parse(d0.description()) : null;
        this.images = classify(dirs, svs != null);
        this.levels = images.stream().filter(l -> l.kind() == LevelKind.LEVEL)
                .sorted(Comparator.comparingLong(Level::pixels).reversed()).toList();
        for (Level l : levels) {
            TiffDirectory d = dirs.get(l.imageIndex());
            if (d.compression() == 33003 || d.compression() == 33005 || d.compression() == 34712) {
                throw new IngestException(RejectReason.UNSUPPORTED_FEATURE, file.toString(),
                        "level " + levels.indexOf(l) + " uses " + d.compressionName() + " compression, which is not decoded");
            }
        }
        this.geo = GeoTiffParser.parse(file, s, d0, limits).orElse(null);
        this.format = (svs != null ? "SVS" : geo != null ? "GeoTIFF" : "TIFF") + " (" + (s.bigTiff() ? "BigTIFF" : "classic TIFF") + ")";
        try {
            this.in = new FileImageInputStream(file.toFile());
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, file.toString(), "cannot open: " + e.getMessage(), e);
        }
        try {
            this.reader = new TIFFImageReaderSpi().createReaderInstance(null);
            // Keep metadata: the reader needs JPEGTables and colour tags from the IFD.
            reader.setInput(in, false, false);
        } catch (RuntimeException e) {
            closeQuietly();
            throw DecodeGuard.classify(file.toString(), "opening the TIFF decoder", e);
        }
        this.guard = new DecodeGuard(file.toString(), limits.decodeTimeout());
    }

    public static TiffImageSource open(Path file, IngestLimits limits) throws IngestException {
        return new TiffImageSource(file, limits, TiffScanner.scan(file, limits));
    }

    /** Pyramid levels versus associated images, following the layout Aperio and libvips write. */
    static List<Level> classify(List<TiffDirectory> dirs, boolean svs) {
        TiffDirectory d0 = dirs.get(0);
        List<Level> out = new ArrayList<>();
        for (TiffDirectory d : dirs) {
            LevelKind kind;
            String desc = d.description() == null ? "" : d.description().toLowerCase(Locale.ROOT);
            double ds = (double) d0.width() / d.width();
            double dsy = (double) d0.height() / d.height();
            // A reduced copy keeps the aspect ratio up to the rounding of each side.
            boolean sameAspect = Math.abs(ds - dsy) <= Math.max(ds, dsy) * (2.0 / Math.min(d.width(), d.height()) + 0.01);
            if (d.index() == 0) {
                kind = LevelKind.LEVEL;
            } else if (desc.contains("label")) {
                kind = LevelKind.LABEL;
            } else if (desc.contains("macro")) {
                kind = LevelKind.MACRO;
            } else if (svs) {
                if (d.index() == 1 && !d.tiled()) {
                    kind = LevelKind.THUMBNAIL;
                } else if (d.tiled() && sameAspect && ds >= 1) {
                    kind = LevelKind.LEVEL;
                } else {
                    kind = d.newSubfileType() == 9 ? LevelKind.MACRO : LevelKind.LABEL;
                }
            } else {
                boolean reduced = (d.newSubfileType() & 1) != 0;
                kind = reduced && sameAspect && ds > 1 && d.samplesPerPixel() == d0.samplesPerPixel() ? LevelKind.LEVEL : LevelKind.PAGE;
            }
            out.add(new Level(d.index(), kind, d.width(), d.height(), d.tiled(), d.tileWidth(), d.tileHeight(),
                    d.compressionName(), d.samplesPerPixel(), d.bitsPerSample(), kind == LevelKind.LEVEL ? ds : 1.0));
        }
        return List.copyOf(out);
    }

    public TiffStructure structure() {
        return structure;
    }

    public Optional<SvsMetadata> svs() {
        return Optional.ofNullable(svs);
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
        return levels;
    }

    @Override
    public List<Level> images() {
        return images;
    }

    @Override
    public OptionalDouble mppLevel0() {
        return svs == null ? OptionalDouble.empty() : svs.mpp();
    }

    @Override
    public OptionalDouble appMag() {
        return svs == null ? OptionalDouble.empty() : svs.appMag();
    }

    @Override
    public Optional<GeoReference> geoReference() {
        return Optional.ofNullable(geo);
    }

    @Override
    public RgbBand readRows(int level, int y, int rows) throws IngestException {
        if (level < 0 || level >= levels.size()) {
            throw new IngestException(RejectReason.BAD_REQUEST, file.toString(), "level " + level + " of " + levels.size());
        }
        Level l = levels.get(level);
        if (y < 0 || rows <= 0 || y + (long) rows > l.height()) {
            throw new IngestException(RejectReason.BAD_REQUEST, file.toString(),
                    "rows " + y + ".." + (y + (long) rows) + " outside level " + level + " of height " + l.height());
        }
        checkReadBytes((long) l.width() * rows);
        byte[] out = new byte[l.width() * rows * 3];
        int done = 0;
        while (done < rows) {
            RgbBand block = block(level, l, y + done);
            int from = y + done - block.y0();
            int n = Math.min(rows - done, block.height() - from);
            System.arraycopy(block.rgb(), from * l.width() * 3, out, done * l.width() * 3, n * l.width() * 3);
            done += n;
        }
        return new RgbBand(y, l.width(), rows, out);
    }

    private void checkReadBytes(long pixels) throws IngestException {
        if (pixels * 3 > limits.maxReadBytes() || pixels * 3 > Integer.MAX_VALUE - 16) {
            throw new IngestException(RejectReason.TILE_BYTES_LIMIT, file.toString(),
                    "a read of " + pixels + " pixels exceeds maxReadBytes " + limits.maxReadBytes());
        }
    }

    /** Block height: whole tiles/strips, at least {@link #MIN_BLOCK_ROWS}, as long as the bytes fit. */
    int blockRows(Level l) throws IngestException {
        long unit = Math.min(l.tileHeight(), l.height());
        long k = Math.max(1, (MIN_BLOCK_ROWS + unit - 1) / unit);
        while (k > 1 && (long) l.width() * unit * k * 3 > limits.maxReadBytes()) {
            k--;
        }
        long r = Math.min(unit * k, l.height());
        checkReadBytes(l.width() * r);
        return (int) r;
    }

    private RgbBand block(int level, Level l, int y) throws IngestException {
        if (cachedLevel == level && cached != null && y >= cached.y0() && y < cached.y0() + cached.height()) {
            return cached;
        }
        cached = null;
        int br = blockRows(l);
        int y0 = y / br * br;
        int h = Math.min(br, l.height() - y0);
        String what = "rows " + y0 + ".." + (y0 + h) + " of level " + level;
        RgbBand b = guard.run(what, () -> {
            ImageReadParam p = reader.getDefaultReadParam();
            p.setSourceRegion(new Rectangle(0, y0, l.width(), h));
            BufferedImage img = reader.read(l.imageIndex(), p);
            if (img.getWidth() != l.width() || img.getHeight() != h) {
                throw new IngestException(RejectReason.DECODE_FAILED, file.toString(),
                        what + " decoded to " + img.getWidth() + "x" + img.getHeight() + " instead of " + l.width() + "x" + h);
            }
            byte[] rgb = new byte[l.width() * h * 3];
            RgbConversion.toRgb(img, rgb, 0);
            return new RgbBand(y0, l.width(), h, rgb);
        });
        cachedLevel = level;
        cached = b;
        return b;
    }

    private void closeQuietly() {
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // closing a read-only stream: nothing to recover
        }
    }

    @Override
    public void close() {
        if (guard != null) {
            guard.close();
        }
        if (reader != null) {
            reader.dispose();
        }
        closeQuietly();
    }
}
