package io.scanline.kernels.golden;

import java.util.ArrayList;
import java.util.List;

/** Partitions of [0, L) into consecutive chunks. */
public final class Chunks {
    private Chunks() {}

    /** Chunks of {@code size} tokens (the last one shorter); size ≤ 0 means one chunk. L = 0 gives one empty chunk. */
    public static List<int[]> fixed(int length, int size) {
        List<int[]> out = new ArrayList<>();
        if (size <= 0 || size >= length) {
            out.add(new int[] {0, length});
            return out;
        }
        for (int a = 0; a < length; a += size) out.add(new int[] {a, Math.min(length, a + size)});
        return out;
    }

    /** Chunks between the given cut points (sorted, within [0, L], repeats give empty chunks). */
    public static List<int[]> at(int length, int... cuts) {
        List<int[]> out = new ArrayList<>();
        int prev = 0;
        for (int c : cuts) {
            if (c < prev || c > length) throw new IllegalArgumentException("cut " + c + " out of order or range");
            out.add(new int[] {prev, c});
            prev = c;
        }
        out.add(new int[] {prev, length});
        return out;
    }
}
