package io.scanline.kernels.model;

import java.util.Locale;

/**
 * Bytes a streamed run holds, as the planner reports them: carried state, barrier store (memory and
 * disk), and the largest working set of any single op call (inputs + output of one backend call,
 * measured by {@link MeteredBackend}). Exceeding the per-image limit is a clear error, not an OOM.
 */
public final class MemoryLedger {
    private final long maxBytes;
    private final int images;
    private long stateBytes, storeMemoryBytes, storeDiskBytes;
    private long peakStateBytes, peakStoreMemoryBytes, peakStoreDiskBytes, peakOpBytes;

    public MemoryLedger(long maxBytesPerImage, int images) {
        this.maxBytes = maxBytesPerImage;
        this.images = Math.max(1, images);
    }

    public void addState(long bytes) {
        stateBytes += bytes;
        peakStateBytes = Math.max(peakStateBytes, stateBytes);
        check();
    }

    public void releaseState(long bytes) {
        stateBytes -= bytes;
    }

    public void addStore(long memory, long disk) {
        storeMemoryBytes += memory;
        storeDiskBytes += disk;
        peakStoreMemoryBytes = Math.max(peakStoreMemoryBytes, storeMemoryBytes);
        peakStoreDiskBytes = Math.max(peakStoreDiskBytes, storeDiskBytes);
        check();
    }

    public void releaseStore(long memory, long disk) {
        storeMemoryBytes -= memory;
        storeDiskBytes -= disk;
    }

    public void opBytes(long bytes) {
        peakOpBytes = Math.max(peakOpBytes, bytes);
    }

    private void check() {
        long perImage = (stateBytes + storeMemoryBytes + storeDiskBytes) / images;
        if (perImage > maxBytes) {
            throw new ImageTooLargeException(String.format(Locale.ROOT,
                    "image needs %d bytes of carried state and barrier store, more than the configured limit of %d bytes",
                    perImage, maxBytes));
        }
    }

    public long peakStateBytes() { return peakStateBytes; }
    public long peakStoreMemoryBytes() { return peakStoreMemoryBytes; }
    public long peakStoreDiskBytes() { return peakStoreDiskBytes; }
    public long peakOpBytes() { return peakOpBytes; }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "state %d B, store %d B in memory + %d B on disk, largest op working set %d B",
                peakStateBytes, peakStoreMemoryBytes, peakStoreDiskBytes, peakOpBytes);
    }

    /** A per-image limit was exceeded. */
    public static final class ImageTooLargeException extends RuntimeException {
        public ImageTooLargeException(String message) {
            super(message);
        }
    }
}
