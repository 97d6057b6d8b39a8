package io.scanline.connectors.tiff;

import java.util.Map;

/**
 * One image file directory (IFD) with the values ingest needs already read and bounds-checked
 * against the file. Offsets and byte counts of every strip/tile are kept (one entry per strip or
 * tile; planar images have one set per sample).
 */
public record TiffDirectory(int index, long fileOffset, Map<Integer, TiffEntry> entries,
                            int width, int height, int samplesPerPixel, int bitsPerSample,
                            int compression, int photometric, int planarConfiguration,
                            boolean tiled, int tileWidth, int tileHeight,
                            long[] dataOffsets, long[] dataByteCounts,
                            long newSubfileType, String description, boolean hasSubIfds) {

    public boolean has(int tag) {
        return entries.containsKey(tag);
    }

    public String compressionName() {
        return TiffTags.compressionName(compression);
    }

    /** Bytes of one decoded tile (or strip), all samples. */
    public long decodedBlockBytes() {
        return (long) tileWidth * tileHeight * samplesPerPixel * Math.max(1, (bitsPerSample + 7) / 8);
    }

    public long maxCompressedBlockBytes() {
        long max = 0;
        for (long c : dataByteCounts) {
            max = Math.max(max, c);
        }
        return max;
    }
}
