package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Row-by-row positional tables against the reference backend's whole-table bicubic resize (ops §12).
 * Both compute in fp64 in the same order and round once, so rows must be bit-identical (no tolerance).
 *
 * <p>Glossary: (Hp0, Wp0) training grid, (Hp, Wp) target grid, D width.
 */
class PositionTableTest {
    private static final Backend REF = new ReferenceBackend();

    /** (D, Hp, Wp) from the backend, as token-major (Hp·Wp, D) rows [r0, r1). */
    private static float[] expectedRows(Tensor chw, int hp, int wp, int r0, int r1) {
        int d = chw.dim(0);
        Tensor full = REF.bicubicResize(chw, hp, wp);
        float[] f = full.f32(), out = new float[(r1 - r0) * wp * d];
        for (int r = r0; r < r1; r++)
            for (int c = 0; c < wp; c++)
                for (int ch = 0; ch < d; ch++) out[((r - r0) * wp + c) * d + ch] = f[(ch * hp + r) * wp + c];
        return out;
    }

    /** The (1, Hp0, Wp0, D) ViL table as the (D, Hp0, Wp0) tensor the backend resizes. */
    private static Tensor channelMajor(Tensor table) {
        int hp0 = table.dim(1), wp0 = table.dim(2), d = table.dim(3);
        return table.reshape(hp0 * wp0, d).transpose(0, 1).reshape(d, hp0, wp0);
    }

    @Test
    void rowsMatchWholeResizeBitForBit() {
        int[][] cases = {        // hp0, wp0, d, hp, wp: up, down, non-square, identity, to one row/column
                {14, 14, 5, 27, 27}, {14, 14, 3, 32, 48}, {27, 27, 4, 14, 14}, {5, 7, 6, 13, 2},
                {6, 9, 3, 6, 9}, {7, 5, 2, 1, 11}, {4, 4, 3, 9, 1}, {3, 8, 7, 17, 5}};
        RandomTensors rnd = new RandomTensors(11);
        for (int[] c : cases) {
            Tensor table = rnd.normal(0, 1, 1, c[0], c[1], c[2]);
            PositionTable pt = PositionTable.fromGrid(table);
            int hp = c[3], wp = c[4];
            String what = c[0] + "x" + c[1] + " -> " + hp + "x" + wp;
            assertArrayEquals(expectedRows(channelMajor(table), hp, wp, 0, hp), pt.rows(hp, wp, 0, hp).f32(), what + " all rows");
            // out of order, single rows, and an empty range: same values whatever was cached before
            for (int r = hp - 1; r >= 0; r -= 2) {
                assertArrayEquals(expectedRows(channelMajor(table), hp, wp, r, r + 1), pt.rows(hp, wp, r, r + 1).f32(), what + " row " + r);
            }
            assertEquals(0, pt.rows(hp, wp, hp / 2, hp / 2).numel());
            int[] cached = pt.cachedRows();
            assertTrue(cached[0] <= PositionTable.CACHED_ROWS && cached[1] <= PositionTable.CACHED_ROWS,
                    what + ": cached rows " + cached[0] + ", " + cached[1]);
        }
    }

    @Test
    void sequenceTableKeepsClassEntryAndSwitchesGrids() {
        int hp0 = 4, wp0 = 4, d = 3, clsAt = 8;
        Tensor seq = new RandomTensors(5).normal(0, 1, 1, hp0 * wp0 + 1, d);
        PositionTable pt = PositionTable.fromSequence(seq, clsAt, hp0, wp0);
        float[] s = seq.f32();
        assertArrayEquals(java.util.Arrays.copyOfRange(s, clsAt * d, clsAt * d + d), pt.classEntry().f32());
        float[] patches = new float[hp0 * wp0 * d];
        for (int t = 0, o = 0; t <= hp0 * wp0; t++) if (t != clsAt) System.arraycopy(s, t * d, patches, (o++) * d, d);
        Tensor chw = Tensor.of(patches, hp0 * wp0, d).transpose(0, 1).reshape(d, hp0, wp0);
        // alternating grids must not serve rows of the previous grid from the cache
        for (int[] g : new int[][] {{9, 6}, {3, 5}, {9, 6}}) {
            assertArrayEquals(expectedRows(chw, g[0], g[1], 1, 3), pt.rows(g[0], g[1], 1, 3).f32(), g[0] + "x" + g[1]);
        }
    }

    @Test
    void largeGridStaysBounded() {
        // 2000 rows of a 14x14 table: only a few rows are ever held, whatever the grid height
        PositionTable pt = PositionTable.fromGrid(new RandomTensors(2).normal(0, 1, 1, 14, 14, 8));
        for (int r = 0; r < 2000; r += 37) assertEquals(30 * 8, pt.rows(2000, 30, r, r + 1).numel());
        assertTrue(pt.cachedRows()[0] <= PositionTable.CACHED_ROWS && pt.cachedRows()[1] <= PositionTable.CACHED_ROWS);
    }

    @Test
    void badRangesFail() {
        PositionTable pt = PositionTable.fromGrid(new RandomTensors(1).normal(0, 1, 1, 4, 4, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> pt.rows(5, 5, 3, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> pt.rows(5, 5, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> pt.rows(0, 5, 0, 0));
        assertNull(pt.classEntry());
    }
}
