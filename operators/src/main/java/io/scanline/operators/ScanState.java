package io.scanline.operators;

import io.scanline.kernels.stream.CarriedState;

/**
 * Keyed state of one image between chunks: the patch grid, the next expected chunk number and the
 * engine's carried state; or a tombstone ({@code rejected != null}, no carried state) that swallows
 * the rest of a rejected image until its last chunk, so it is dead-lettered exactly once.
 */
public record ScanState(int gridH, int gridW, long nextSeq, CarriedState carried, String rejected) {
    public static ScanState tombstone(int gridH, int gridW, long nextSeq, String reason) {
        return new ScanState(gridH, gridW, nextSeq, null, reason);
    }

    public long bytes() {
        return 32 + (carried == null ? 0 : carried.bytes());
    }
}
