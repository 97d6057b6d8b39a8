package io.scanline.connectors.tiff;

/** TIFF, BigTIFF and GeoTIFF tag numbers that ingest reads. */
public final class TiffTags {
    private TiffTags() {
    }

    public static final int NEW_SUBFILE_TYPE = 254;
    public static final int IMAGE_WIDTH = 256;
    public static final int IMAGE_LENGTH = 257;
    public static final int BITS_PER_SAMPLE = 258;
    public static final int COMPRESSION = 259;
    public static final int PHOTOMETRIC = 262;
    public static final int IMAGE_DESCRIPTION = 270;
    public static final int STRIP_OFFSETS = 273;
    public static final int SAMPLES_PER_PIXEL = 277;
    public static final int ROWS_PER_STRIP = 278;
    public static final int STRIP_BYTE_COUNTS = 279;
    public static final int PLANAR_CONFIGURATION = 284;
    public static final int TILE_WIDTH = 322;
    public static final int TILE_LENGTH = 323;
    public static final int TILE_OFFSETS = 324;
    public static final int TILE_BYTE_COUNTS = 325;
    public static final int SUB_IFDS = 330;
    public static final int JPEG_TABLES = 347;
    public static final int MODEL_PIXEL_SCALE = 33550;
    public static final int MODEL_TIEPOINT = 33922;
    public static final int MODEL_TRANSFORMATION = 34264;
    public static final int GEO_KEY_DIRECTORY = 34735;
    public static final int GEO_DOUBLE_PARAMS = 34736;

    /** Compression codes and their names, for reports. */
    public static String compressionName(int code) {
        return switch (code) {
            case 1 -> "none";
            case 2 -> "CCITT-RLE";
            case 3 -> "CCITT-T4";
            case 4 -> "CCITT-T6";
            case 5 -> "LZW";
            case 6 -> "old-JPEG";
            case 7 -> "JPEG";
            case 8, 32946 -> "Deflate";
            case 32773 -> "PackBits";
            case 33003, 33005 -> "JPEG2000(Aperio)";
            case 34712 -> "JPEG2000";
            case 50000 -> "ZSTD";
            case 50001 -> "WebP";
            default -> "compression-" + code;
        };
    }
}
