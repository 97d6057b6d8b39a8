package io.scanline.kernels.heads;

import java.util.HashMap;
import java.util.Map;

/**
 * Places per-token sub-cell logits on the cell grid by token position (t = r * Wp + c, class token and
 * padding tokens beyond M ignored) and hands each grid row band to a {@link CellRowSink} once all Wp tokens
 * of its patch row are in. Chunk boundaries play no role: any split of the token stream yields the same
 * rows. Memory: only patch rows that are incomplete are held.
 *
 * <p>Glossary: Hp x Wp patch grid, M = Hp * Wp, s sub-cells per patch side, C classes, Wc = Wp * s.
 * Per-token cell layout (class, i, j) with i, j < s; grid row layout (class, cell column).
 */
public final class TokenCellGrid {
    private final int hp, wp, s, classes;
    private final CellRowSink sink;
    private final Map<Integer, float[]> open = new HashMap<>();
    private final Map<Integer, Integer> filled = new HashMap<>();
    private final boolean[] seen;
    private int nextRow;

    public TokenCellGrid(int hp, int wp, int subdivision, int classes, CellRowSink sink) {
        if (hp <= 0 || wp <= 0 || subdivision <= 0 || classes <= 0) {
            throw new IllegalArgumentException("grid " + hp + "x" + wp + ", s " + subdivision + ", classes " + classes);
        }
        if ((long) hp * wp > Integer.MAX_VALUE) throw new IllegalArgumentException("grid too large: " + hp + "x" + wp);
        this.hp = hp;
        this.wp = wp;
        this.s = subdivision;
        this.classes = classes;
        this.sink = sink;
        this.seen = new boolean[hp * wp];
    }

    /** Cells (n, C*s*s) of tokens [firstToken, firstToken + n) in the raster token order. */
    public void accept(long firstToken, float[] cells, int n) {
        int per = classes * s * s;
        if (cells.length < (long) n * per) throw new IllegalArgumentException("cells: " + cells.length + " values for " + n + " tokens");
        int wc = wp * s;
        for (int i = 0; i < n; i++) {
            long t = firstToken + i;
            if (t < 0) throw new IllegalArgumentException("negative token index " + t);
            if (t >= (long) hp * wp) continue;   // class token (last) or padding
            int r = (int) (t / wp), c = (int) (t % wp);
            if (seen[(int) t]) throw new IllegalStateException("token " + t + " delivered twice");
            seen[(int) t] = true;
            float[] band = open.computeIfAbsent(r, k -> new float[s * classes * wc]);
            for (int k = 0; k < classes; k++) {
                for (int a = 0; a < s; a++) {
                    for (int b = 0; b < s; b++) {
                        band[(a * classes + k) * wc + c * s + b] = cells[i * per + (k * s + a) * s + b];
                    }
                }
            }
            filled.merge(r, 1, Integer::sum);
        }
        while (nextRow < hp && filled.getOrDefault(nextRow, 0) == wp) {
            filled.remove(nextRow);
            sink.acceptRows(nextRow * s, open.remove(nextRow), s);
            nextRow++;
        }
    }

    /** All tokens delivered: fails if some patch row is incomplete. */
    public void finish() {
        if (nextRow != hp) {
            throw new IllegalStateException("token stream ended at patch row " + nextRow + " of " + hp
                    + " (" + filled.getOrDefault(nextRow, 0) + " of " + wp + " tokens of that row)");
        }
        sink.finish();
    }

    public int cellRows() { return hp * s; }

    public int cellCols() { return wp * s; }
}
