package io.scanline.operators;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the scan emits (Flink POJO), one type so every sink can route by {@link #kind}:
 * <ul>
 *   <li>{@code PATCHES}: per-patch predictions of one chunk (also the per-image progress event:
 *       firstToken + tokens of totalTokens)</li>
 *   <li>{@code RESULT}: the image's logits, once, at its end</li>
 *   <li>{@code DEAD_LETTER}: the image was rejected; {@code reason} says why; no RESULT follows</li>
 * </ul>
 * Glossary: n patches of the chunk, K classes.
 */
public class ScanEvent {
    public enum Kind { PATCHES, RESULT, DEAD_LETTER }

    public Kind kind;
    public String imageId;
    public long seq;
    public long firstToken;
    public int tokens;
    public long totalTokens;
    public int gridH;
    public int gridW;
    /** PATCHES: (n) argmax class per patch. */
    public int[] patchClasses;
    /** PATCHES, only when the scan was asked for them (dense heads downstream): (n, D) final token features. */
    public float[] features;
    public int featureWidth;
    /** RESULT: (K) logits. */
    public float[] logits;
    public int classIndex = -1;
    public String reason;
    /** DEAD_LETTER: stable code, the ingest RejectReason (e.g. MALFORMED) or SCAN_REJECTED for a bad chunk stream. */
    public String reasonCode;

    public ScanEvent() {}

    public static final String SCAN_REJECTED = "SCAN_REJECTED";

    public static ScanEvent deadLetter(String imageId, long seq, String reasonCode, String reason) {
        ScanEvent e = deadLetter(imageId, seq, reason);
        e.reasonCode = reasonCode;
        return e;
    }

    public static ScanEvent deadLetter(String imageId, long seq, String reason) {
        ScanEvent e = new ScanEvent();
        e.kind = Kind.DEAD_LETTER;
        e.imageId = imageId;
        e.seq = seq;
        e.reason = reason;
        e.reasonCode = SCAN_REJECTED;
        return e;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScanEvent e && kind == e.kind && Objects.equals(imageId, e.imageId) && seq == e.seq
                && firstToken == e.firstToken && tokens == e.tokens && totalTokens == e.totalTokens && gridH == e.gridH
                && gridW == e.gridW && Arrays.equals(patchClasses, e.patchClasses) && Arrays.equals(features, e.features) && featureWidth == e.featureWidth && Arrays.equals(logits, e.logits)
                && classIndex == e.classIndex && Objects.equals(reason, e.reason) && Objects.equals(reasonCode, e.reasonCode);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, imageId, seq);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case PATCHES -> "PATCHES{" + imageId + " #" + seq + " tokens " + firstToken + ".." + (firstToken + tokens) + "/" + totalTokens + "}";
            case RESULT -> "RESULT{" + imageId + " class " + classIndex + " logits " + Arrays.toString(logits) + "}";
            case DEAD_LETTER -> "DEAD_LETTER{" + imageId + " #" + seq + " " + reasonCode + ": " + reason + "}";
        };
    }
}
