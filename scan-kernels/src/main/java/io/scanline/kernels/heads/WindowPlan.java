package io.scanline.kernels.heads;

import java.util.ArrayList;
import java.util.List;

/**
 * Windows over the patch grid for models run far beyond their training resolution: windows of
 * {@code size} tokens per side overlapping by {@code overlap} tokens, in raster order; along each axis the
 * starts are 0, step, 2*step, ... and the last window is moved back to end exactly at the grid edge (so
 * every token is covered and no window pads). A grid smaller than a window gets one window of the grid.
 *
 * <p>Glossary: Hp x Wp patch grid, all positions in tokens.
 */
public final class WindowPlan {
    /** A window: top-left token (r0, c0) and its size in tokens. */
    public record Window(int r0, int c0, int rows, int cols) {}

    private final int hp, wp, size, overlap;
    private final List<Window> windows = new ArrayList<>();
    private final int[] rowStarts;

    public WindowPlan(int hp, int wp, int size, int overlap) {
        if (size <= 0 || overlap < 0 || overlap >= size) {
            throw new IllegalArgumentException("window size " + size + " and overlap " + overlap + " (tokens): need 0 <= overlap < size");
        }
        if (hp <= 0 || wp <= 0) throw new IllegalArgumentException("empty grid " + hp + "x" + wp);
        this.hp = hp;
        this.wp = wp;
        this.size = size;
        this.overlap = overlap;
        this.rowStarts = starts(hp, size, size - overlap);
        int[] cs = starts(wp, size, size - overlap);
        for (int r : rowStarts) {
            for (int c : cs) windows.add(new Window(r, c, Math.min(size, hp), Math.min(size, wp)));
        }
    }

    static int[] starts(int n, int size, int step) {
        if (n <= size) return new int[]{0};
        List<Integer> s = new ArrayList<>();
        for (int p = 0; p + size < n; p += step) s.add(p);
        s.add(n - size);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    public List<Window> windows() { return windows; }

    /** Distinct window start rows, ascending (windows of one start row form a window row). */
    public int[] rowStarts() { return rowStarts.clone(); }

    public int gridRows() { return hp; }

    public int gridCols() { return wp; }

    public int size() { return size; }

    public int overlap() { return overlap; }

    /**
     * Blending weight of cell i of n along one axis: a tent, highest in the middle, never 0, so a cell
     * seen by one window keeps that window's logits exactly and overlaps fade linearly.
     */
    static double ramp(int i, int n) {
        return Math.min(i + 0.5, n - i - 0.5) / n;
    }
}
