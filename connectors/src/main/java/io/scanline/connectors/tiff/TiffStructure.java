package io.scanline.connectors.tiff;

import java.nio.ByteOrder;
import java.util.List;

/** The validated directory chain of a TIFF or BigTIFF file. */
public record TiffStructure(boolean bigTiff, ByteOrder byteOrder, long fileSize, List<TiffDirectory> directories) {
}
