package io.scanline.operators;

import java.util.Objects;

/**
 * One chunk of patches of one image, keyed by image id, in scan order (Flink POJO). Glossary:
 * n patches, ps patch size; {@code pixels} holds (n, 3, ps, ps) normalized pixels.
 * {@code seq} numbers the chunks of an image from 0 so gaps and duplicates can be told apart;
 * {@code last} marks the image's final chunk.
 */
public class ChunkRecord {
    public String imageId;
    public long seq;
    public int gridH;
    public int gridW;
    public int patchSize;
    public float[] pixels;
    public boolean last;
    /** Set (with no pixels, {@code last}) when reading failed after earlier chunks were sent: the scan drops the image with this reason. */
    public String abort;

    public ChunkRecord() {}

    /** The record that ends an image whose reading failed mid-way; the scan dead-letters it once. */
    public static ChunkRecord aborted(String imageId, long seq, int gridH, int gridW, int patchSize, String reason) {
        ChunkRecord r = new ChunkRecord(imageId, seq, gridH, gridW, patchSize, new float[0], true);
        r.abort = reason;
        return r;
    }

    public ChunkRecord(String imageId, long seq, int gridH, int gridW, int patchSize, float[] pixels, boolean last) {
        this.imageId = imageId;
        this.seq = seq;
        this.gridH = gridH;
        this.gridW = gridW;
        this.patchSize = patchSize;
        this.pixels = pixels;
        this.last = last;
    }

    /** n, the patches in this chunk. */
    public int patches() {
        int per = 3 * patchSize * patchSize;
        return per == 0 || pixels == null ? 0 : pixels.length / per;
    }

    public long bytes() {
        return 64L + (pixels == null ? 0 : 4L * pixels.length);
    }

    @Override
    public String toString() {
        return "ChunkRecord{" + imageId + " #" + seq + ", " + patches() + " patches" + (last ? ", last" : "") + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkRecord c && seq == c.seq && last == c.last && Objects.equals(imageId, c.imageId)
                && Objects.equals(abort, c.abort) && gridH == c.gridH && gridW == c.gridW && patchSize == c.patchSize && java.util.Arrays.equals(pixels, c.pixels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(imageId, seq);
    }
}
