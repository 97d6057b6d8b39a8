package io.scanline.kernels.model.mamba;

import java.util.ArrayList;
import java.util.List;

/**
 * The chunks [a, b) of one sweep over L tokens: ascending from 0 for a forward sweep, and for a
 * reverse sweep taken from the end ([L − chunk, L) first), so chunking applies inside every pass in
 * both directions (spec streaming §2). chunk ≤ 0 means one chunk.
 */
final class Sweep {
    private Sweep() {}

    static List<int[]> forward(int length, int chunk) {
        List<int[]> out = new ArrayList<>();
        int step = chunk <= 0 ? Math.max(1, length) : chunk;
        for (int a = 0; a < length; a += step) out.add(new int[] {a, Math.min(length, a + step)});
        return out;
    }

    static List<int[]> reverse(int length, int chunk) {
        List<int[]> out = new ArrayList<>();
        int step = chunk <= 0 ? Math.max(1, length) : chunk;
        for (int b = length; b > 0; b -= step) out.add(new int[] {Math.max(0, b - step), b});
        return out;
    }
}
