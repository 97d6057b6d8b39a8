package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.JsonNode;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.SyntheticImage;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.RandomModels;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Vim and ARM barriers: spilling to disk, and chunk invariance on grids the goldens do not cover. */
class BarrierModelsTest {

    @Test
    void vimAndArmSpillToDiskAndStillMatchTheGolden(@TempDir Path spill) throws Exception {
        for (String name : new String[] {"vim_d2_64x64", "arm_d2_64x64"}) {
            GoldenCase g = GoldenFixture.load(name);
            StreamingModel m = GoldenFixture.model(g);
            // 2 KB budget = 1 KB per store, less than one token row (B·D·4 = 1536 B): every row goes to disk
            StreamOptions o = GoldenFixture.opts(5).withSpill(2048, spill);
            ModelOutput out = GoldenFixture.run(m, g, o);
            assertTrue(out.memory().peakStoreDiskBytes() > 0, name + ": expected a spill, ledger " + out.memory());
            assertTrue(out.memory().peakStoreMemoryBytes() <= 2048, name + ": memory part over budget: " + out.memory());
            assertEquals(2L * 2 * 17 * 192 * 4, out.memory().peakStoreMemoryBytes() + out.memory().peakStoreDiskBytes(),
                    name + ": store = s + accumulator, (B, L, D) fp32 each");
            GoldenFixture.assertMatchesGolden(g, out, name + " spilled");
        }
    }

    /**
     * Random Vim on a 3×5 grid (non-square, odd M = 15: class slot 7, table resized from 14×14 with
     * D4) and random ARM on a 3×3 grid (odd M = 9: the coded column order moves the class token into
     * the grid): every chunking agrees with the whole run.
     */
    @Test
    void oddAndNonSquareGridsAreChunkInvariant() {
        check(new VimFamily(), 48, 80, new int[] {1, 4, 5, 6, 7, 8, 13});
        check(new ArmFamily(), 48, 48, new int[] {1, 2, 3, 4, 5, 9});
    }

    private static void check(ModelFamily fam, int h, int w, int[] chunks) {
        RandomModels rm = (RandomModels) fam;
        JsonNode cfg = rm.benchConfig();
        StreamingModel m = fam.build(cfg, rm.randomWeights(cfg, 21));
        SyntheticImage img = new SyntheticImage(2, h, w, 4);
        StreamOptions o = StreamOptions.defaults().withLayerOutputs(true);
        ModelOutput whole = m.forward(new ReferenceBackend(), img, o.withChunk(0));
        int l = (h / 16) * (w / 16) + 1;
        assertArrayEquals(new int[] {2, l, 192}, whole.get("output.features").shape());
        for (float v : whole.get("output.logits").f32()) assertTrue(Float.isFinite(v));
        for (int c : chunks) {
            ModelOutput out = m.forward(new ReferenceBackend(), img, o.withChunk(c));
            GoldenFixture.assertSame(whole.tensors(), out, GoldenFixture.CHUNK_TOL, fam.name() + " " + h + "x" + w + " chunk " + c);
        }
        Map<String, ?> keys = whole.tensors();
        assertTrue(keys.containsKey("layer.1.output") && keys.containsKey("embed.output"), "layer outputs kept: " + keys.keySet());
    }

    @Test
    void columnOrderIsTheCodedTranspose() {
        // 4×4 grid, L = 17: q = 8 = class slot, the grid is transposed around it
        int[] p = ColumnOrder.permutation(17);
        assertEquals(8, p[8]);
        assertArrayEquals(new int[] {0, 4, 9, 13, 1, 5, 10, 14, 8, 2, 6, 11, 15, 3, 7, 12, 16}, p);
        // 3×3 grid, L = 10: q = 5 = c + 1; the class token (index 4) moves into the grid (spec models §7.2)
        assertArrayEquals(new int[] {0, 3, 7, 1, 4, 5, 8, 2, 6, 9}, ColumnOrder.permutation(10));
        for (int len : new int[] {2, 5, 10, 17, 197}) {
            int[] q = ColumnOrder.permutation(len);
            for (int j = 0; j < len; j++) assertEquals(j, q[q[j]], "involution at L = " + len);
        }
    }

    /** Plans state what the streams do: De-focus one fused pass; Vim depth + 1 zig-zag sweeps, ARM 4 barrier sweeps per layer plus an output sweep. */
    @Test
    void plansDescribePassesAndBarriers() throws Exception {
        io.scanline.kernels.model.Plan df = GoldenFixture.model(GoldenFixture.load("defocus_mamba_d3_64x64")).plan(4, 4);
        assertEquals(1, df.passes().size());
        assertEquals(0, df.barriers());
        assertEquals(3L * (3 * 384 + 384 * 16), df.carriedStateFloatsPerImage());
        assertEquals(0, df.storeFloatsPerToken());

        GoldenCase vg = GoldenFixture.load("vim_d2_64x64");
        io.scanline.kernels.model.Plan vim = GoldenFixture.model(vg).plan(4, 4);
        assertEquals(3, vim.passes().size(), "zig-zag: depth + 1 sweeps");
        assertEquals(2, vim.barriers());
        assertEquals(io.scanline.kernels.model.Plan.Order.REVERSE, vim.passes().get(1).order());
        assertEquals(2 * 192, vim.storeFloatsPerToken());
        ModelOutput vo = GoldenFixture.run(GoldenFixture.model(vg), vg, GoldenFixture.opts(4));
        assertEquals(4L * vim.carriedStateFloatsPerImage() * 2, vo.memory().peakStateBytes(), "two directions live in the middle sweep, B = 2");
        assertEquals(4L * vim.storeFloatsPerToken() * 17 * 2, vo.memory().peakStoreMemoryBytes() + vo.memory().peakStoreDiskBytes());

        io.scanline.kernels.model.Plan arm = GoldenFixture.model(GoldenFixture.load("arm_d2_64x64")).plan(4, 4);
        assertEquals(9, arm.passes().size());
        assertEquals(8, arm.barriers());
        assertEquals(io.scanline.kernels.model.Plan.Order.COLUMN_REVERSE, arm.passes().get(3).order());
        assertTrue(arm.describe().contains("barrier"), arm.describe());
    }

    /** Store + carried state beyond the per-image limit is a clear per-image error; exactly at the limit runs. */
    @Test
    void perImageLimitIsAClearError() throws Exception {
        GoldenCase g = GoldenFixture.load("vim_d2_64x64");
        StreamingModel m = GoldenFixture.model(g);
        // per image: store 2 × 17 tokens × 192 floats × 4 B = 26,112 B + two directions' state 2 × 7,296 × 4 B = 84,480 B
        io.scanline.kernels.model.MemoryLedger.ImageTooLargeException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.scanline.kernels.model.MemoryLedger.ImageTooLargeException.class,
                () -> GoldenFixture.run(m, g, GoldenFixture.opts(4).withMaxImageBytes(80_000)));
        assertTrue(e.getMessage().contains("84480") && e.getMessage().contains("80000"), e.getMessage());
        ModelOutput ok = GoldenFixture.run(m, g, GoldenFixture.opts(4).withMaxImageBytes(84_480));
        GoldenFixture.assertMatchesGolden(g, ok, "within the limit");
    }
}
