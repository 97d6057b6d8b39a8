package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

/**
 * Learned positional tables at any grid (decision D4): only the patch-grid part is resized with the
 * PyTorch-identical bicubic of ops §12, row-major in and out; a class entry is kept and re-inserted at
 * the model's class slot. The resized grid is computed once per grid size and kept (Hp·Wp·D floats);
 * for grids where that is too large, {@link #rows} yields rows on demand.
 *
 * <p>Glossary: (Hp0, Wp0) training grid, (Hp, Wp) image grid, D width.
 */
public final class PositionTable {
    private final Tensor grid;     // (D, Hp0, Wp0): patch entries, channel-major for the resize
    private final Tensor cls;      // (D) or null
    private final int d, hp0, wp0;
    private int hp = -1, wp = -1;
    private Tensor resized;        // (Hp·Wp, D)

    private PositionTable(Tensor grid, Tensor cls, int d, int hp0, int wp0) {
        this.grid = grid;
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

    /** Patch entries of the grid hp × wp, rows [r0, r1): ((r1 − r0)·Wp, D). */
    public Tensor rows(Backend be, int hp, int wp, int r0, int r1) {
        if (hp != this.hp || wp != this.wp) {
            Tensor t = (hp == hp0 && wp == wp0) ? grid : be.bicubicResize(grid, hp, wp);
            resized = t.reshape(d, hp * wp).transpose(0, 1);
            this.hp = hp;
            this.wp = wp;
        }
        float[] out = new float[(r1 - r0) * wp * d];
        System.arraycopy(resized.f32(), r0 * wp * d, out, 0, out.length);
        return Tensor.of(out, (r1 - r0) * wp, d);
    }
}
