package io.scanline.connectors.tiff;

/**
 * One directory entry as found in the file, values not yet read.
 *
 * @param tag         tag number
 * @param type        TIFF field type (1..18)
 * @param count       number of values
 * @param valueOffset absolute file offset of the values (inline values: the offset of the value field)
 */
public record TiffEntry(int tag, int type, long count, long valueOffset) {

    /** Bytes per value of a TIFF field type, or 0 for a type the format does not define. */
    public static int typeSize(int type) {
        return switch (type) {
            case 1, 2, 6, 7 -> 1;
            case 3, 8 -> 2;
            case 4, 9, 11, 13 -> 4;
            case 5, 10, 12, 16, 17, 18 -> 8;
            default -> 0;
        };
    }

    public boolean isInteger() {
        return switch (type) {
            case 1, 3, 4, 6, 8, 9, 13, 16, 17, 18 -> true;
            default -> false;
        };
    }
}
