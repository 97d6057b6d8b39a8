package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BicubicTaps;
import io.scanline.kernels.tensor.Tensor;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Learned positional tables at any grid (decision D4): only the patch-grid part is resized with the
 * PyTorch-identical bicubic of ops §12, row-major in and out; a class entry is kept and re-inserted at
 * the model's class slot.
 *
 * <p>The resized grid is never materialized (streaming §5): each output row is computed when asked for
 * from the 4 source rows its taps name, first resized along the width, then combined along the height,
 * in fp64 in the same order as the reference backend's resize, so rows are bit-identical to the rows of
 * {@code bicubicResize} of the whole table. At most {@link #CACHED_ROWS} output rows and as many
 * width-resized source rows are kept, plus, while a multi-row request runs, the source rows it names
 * (at most four per row asked for): memory is O(Wp·D) per row of a chunk, whatever Hp.
 *
 * <p>Glossary: (Hp0, Wp0) training grid, (Hp, Wp) image grid, D width.
 */
public final class PositionTable {
    /** Output rows and width-resized source rows kept; 4 covers the source rows of one output row. */
    public static final int CACHED_ROWS = 4;

    private final float[] src;     // (D, Hp0, Wp0): patch entries, channel-major as the resize reads them
    private final Tensor cls;      // (D) or null
    private final int d, hp0, wp0;
    private int hp = -1, wp = -1;  // grid the caches and x taps belong to
    private int[][] xIdx;          // (Wp, 4) source columns of each output column
    private double[][] xW;         // (Wp, 4) their weights
    private final RowCache<float[]> outRows = new RowCache<>();     // output row → (Wp·D) token-major
    private final RowCache<double[]> srcRows = new RowCache<>();    // source row → (Wp·D) width-resized

    /** A few rows by index, least recently used evicted first. */
    private static final class RowCache<V> extends LinkedHashMap<Integer, V> {
        RowCache() { super(16, 0.75f, true); }

        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, V> eldest) { return size() > CACHED_ROWS; }
    }

    private PositionTable(Tensor grid, Tensor cls, int d, int hp0, int wp0) {
        this.src = grid.f32();
        this.cls = cls;
        this.d = d;
        this.hp0 = hp0;
        this.wp0 = wp0;
    }

    /** ViL: table (1, Hp0, Wp0, D), no class entry. */
    public static PositionTable fromGrid(Tensor table) {
        int hp0 = table.dim(1), wp0 = table.dim(2), d = table.dim(3);
        return new PositionTable(table.reshape(hp0 * wp0, d).transpose(0, 1).reshape(d, hp0, wp0), null, d, hp0, wp0);
    }

    /**
     * Vim / ARM / Adventurer: table (1, M0 + 1, D) with the class entry at {@code clsIndex} of a square
     * training grid (or hp0 × wp0 when given).
     */
    public static PositionTable fromSequence(Tensor table, int clsIndex, int hp0, int wp0) {
        int l = table.dim(1), d = table.dim(2);
        if (hp0 * wp0 + 1 != l) {
            throw new WeightsException("pos_embed has " + l + " entries, expected " + (hp0 * wp0 + 1) + " for a "
                    + hp0 + "x" + wp0 + " grid plus a class entry");
        }
        float[] src = table.f32();
        float[] patches = new float[(l - 1) * d];
        float[] cls = new float[d];
        for (int t = 0, o = 0; t < l; t++) {
            if (t == clsIndex) System.arraycopy(src, t * d, cls, 0, d);
            else System.arraycopy(src, t * d, patches, (o++) * d, d);
        }
        Tensor grid = Tensor.of(patches, hp0 * wp0, d).transpose(0, 1).reshape(d, hp0, wp0);
        return new PositionTable(grid, Tensor.of(cls, d), d, hp0, wp0);
    }

    /** Square training grid from a sequence table length M0 + 1. */
    public static PositionTable fromSequence(Tensor table, int clsIndex) {
        int m0 = table.dim(1) - 1;
        int side = (int) Math.round(Math.sqrt(m0));
        if (side * side != m0) throw new WeightsException("pos_embed of " + (m0 + 1) + " entries is not a square grid plus class");
        return fromSequence(table, clsIndex, side, side);
    }

    public Tensor classEntry() { return cls; }

    /** Patch entries of the grid hp × wp, rows [r0, r1): ((r1 − r0)·Wp, D). The backend is not used (kept for callers). */
    public Tensor rows(Backend be, int hp, int wp, int r0, int r1) {
        return rows(hp, wp, r0, r1);
    }

    /** Patch entries of the grid hp × wp, rows [r0, r1): ((r1 − r0)·Wp, D), computed row by row. */
    public Tensor rows(int hp, int wp, int r0, int r1) {
        if (hp < 1 || wp < 1) throw new IllegalArgumentException("table grid " + hp + "x" + wp);
        if (r0 < 0 || r1 < r0 || r1 > hp) throw new IndexOutOfBoundsException("rows [" + r0 + ", " + r1 + ") of " + hp);
        if (hp != this.hp || wp != this.wp) retarget(hp, wp);
        int n = wp * d;
        float[] out = new float[(r1 - r0) * n];
        if (r1 - r0 < 2 || (hp == hp0 && wp == wp0)) {
            for (int r = r0; r < r1; r++) System.arraycopy(outputRow(r), 0, out, (r - r0) * n, n);
        } else {
            // a chunk's rows: their source rows first (cached, serial), then the rows in parallel, each from
            // its own four (a 4096² grid from 14 source rows: 256 rows of Wp·D·4 fp64 products per image)
            int[][] iy = new int[r1 - r0][4];
            double[][] wy = new double[r1 - r0][4];
            Map<Integer, double[]> sources = new HashMap<>();
            for (int r = r0; r < r1; r++) {
                BicubicTaps.axis(hp0, hp, r, iy[r - r0], wy[r - r0]);
                for (int k : iy[r - r0]) sources.computeIfAbsent(k, this::sourceRow);
            }
            IntStream.range(r0, r1).parallel().forEach(r -> {
                int[] t = iy[r - r0];
                combine(sources.get(t[0]), sources.get(t[1]), sources.get(t[2]), sources.get(t[3]), wy[r - r0], out, (r - r0) * n, n);
            });
        }
        return Tensor.of(out, (r1 - r0) * wp, d);
    }

    /** Rows currently cached (output, source): bounded by {@link #CACHED_ROWS} each. */
    int[] cachedRows() { return new int[] {outRows.size(), srcRows.size()}; }

    private void retarget(int hp, int wp) {
        this.hp = hp;
        this.wp = wp;
        outRows.clear();
        srcRows.clear();
        xIdx = new int[wp][4];
        xW = new double[wp][4];
        for (int ox = 0; ox < wp; ox++) BicubicTaps.axis(wp0, wp, ox, xIdx[ox], xW[ox]);
    }

    /** Output row r, token-major (Wp·D). */
    private float[] outputRow(int r) {
        float[] row = outRows.get(r);
        if (row != null) return row;
        row = new float[wp * d];
        if (hp == hp0 && wp == wp0) {
            // the identity (taps 0, 1, 0, 0): the stored row itself
            for (int ch = 0; ch < d; ch++)
                for (int ox = 0; ox < wp; ox++) row[ox * d + ch] = src[(ch * hp0 + r) * wp0 + ox];
        } else {
            int[] iy = new int[4];
            double[] wy = new double[4];
            BicubicTaps.axis(hp0, hp, r, iy, wy);
            // source rows are token-major like the output: one contiguous pass (SIMD), same sums
            combine(sourceRow(iy[0]), sourceRow(iy[1]), sourceRow(iy[2]), sourceRow(iy[3]), wy, row, 0, row.length);
        }
        outRows.put(r, row);
        return row;
    }

    /** dst[off + i] = Σ_k w[k]·t_k[i] in fp64, in the reference resize's order, for i < n. */
    private static void combine(double[] t0, double[] t1, double[] t2, double[] t3, double[] w, float[] dst, int off, int n) {
        double w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            acc += w0 * t0[i];
            acc += w1 * t1[i];
            acc += w2 * t2[i];
            acc += w3 * t3[i];
            dst[off + i] = (float) acc;
        }
    }

    /** Source row iy resized along the width, token-major (Wp·D), fp64. */
    private double[] sourceRow(int iy) {
        double[] row = srcRows.get(iy);
        if (row != null) return row;
        row = new double[d * wp];
        for (int ch = 0; ch < d; ch++) {
            int base = (ch * hp0 + iy) * wp0;
            for (int ox = 0; ox < wp; ox++) {
                double acc = 0.0;
                for (int b = 0; b < 4; b++) acc += xW[ox][b] * (double) src[base + xIdx[ox][b]];
                row[ox * d + ch] = acc;
            }
        }
        srcRows.put(iy, row);
        return row;
    }
}
