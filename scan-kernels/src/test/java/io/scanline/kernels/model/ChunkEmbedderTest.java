package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Chunked patch embedding equals the whole image's patch embedding read in scan order, however the
 * scan range is cut, for raster order, overlapping patches (stride &lt; ps) and a non-raster order;
 * and whole grid rows are embedded as one rectangle per op call. Glossary: Hp × Wp patch grid, D width.
 */
class ChunkEmbedderTest {
    private static final int PS = 4, D = 5;
    private final Backend ref = new ReferenceBackend();

    private static Tensor random(Random rnd, int... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        return Tensor.of(v, shape);
    }

    /** Backend whose patchEmbed calls are counted; every op is the reference's. */
    private Backend counting(AtomicInteger calls) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            if (m.getName().equals("patchEmbed")) calls.incrementAndGet();
            return m.invoke(ref, args);
        });
    }

    /** Token s of the whole-image embedding (raster, (B, Hp·Wp, D)) for every scan index, as (B, S, D). */
    private static float[] permuted(Tensor whole, int b, int wp, ChunkEmbedder.ScanOrder order, int s) {
        float[] w = whole.f32(), out = new float[b * s * D];
        int total = whole.dim(1);
        for (int bi = 0; bi < b; bi++)
            for (int i = 0; i < s; i++) {
                int t = order.row(i) * wp + order.col(i);
                System.arraycopy(w, (bi * total + t) * D, out, (bi * s + i) * D, D);
            }
        return out;
    }

    private void check(int h, int w, int stride, boolean columnMajor, int[] cuts) {
        Random rnd = new Random(h * 31L + w * 7L + stride);
        Tensor img = random(rnd, 2, 3, h, w), wt = random(rnd, D, 3, PS, PS), bias = random(rnd, D);
        ChunkEmbedder.Grid g = ChunkEmbedder.Grid.of(h, w, PS, stride);
        int hp = g.hp(), wp = g.wp(), s = g.tokens();
        ChunkEmbedder.ScanOrder order = columnMajor
                ? new ChunkEmbedder.ScanOrder() {
                    @Override public int row(int i) { return i % hp; }
                    @Override public int col(int i) { return i / hp; }
                }
                : new ChunkEmbedder.ScanOrder() {
                    @Override public int row(int i) { return i / wp; }
                    @Override public int col(int i) { return i % wp; }
                };
        ChunkEmbedder emb = new ChunkEmbedder(ImageSource.of(img), wt, bias, stride, order);
        float[] expect = permuted(ref.patchEmbed(img, wt, bias, stride), 2, wp, order, s);
        float[] got = new float[expect.length];
        int prev = 0;
        for (int cut : cuts) {
            int end = Math.min(s, cut);
            Tensor part = emb.embed(ref, prev, end);
            assertArrayEquals(new int[] {2, end - prev, D}, part.shape());
            float[] pv = part.f32();
            for (int bi = 0; bi < 2; bi++) System.arraycopy(pv, bi * (end - prev) * D, got, (bi * s + prev) * D, (end - prev) * D);
            prev = end;
        }
        assertEquals(s, prev, "cuts must cover the sequence");
        assertArrayEquals(expect, got, 1e-5f, h + "x" + w + " stride " + stride + (columnMajor ? " column-major" : ""));
    }

    @Test
    void chunkedEqualsWholeForAnyCut() {
        check(28, 36, PS, false, new int[] {1, 2, 10, 11, 30, 63});              // 7 x 9 grid, cuts mid-row
        check(28, 36, PS, false, new int[] {63});
        check(23, 30, 3, false, new int[] {5, 6, 7, 40, 41, 42, 63});               // overlapping patches, 7 x 9
        check(28, 36, PS, true, new int[] {4, 13, 14, 40, 63});                 // column-major: runs of one patch
        check(4, 4, PS, false, new int[] {1});                                    // one patch
    }

    @Test
    void wholeRowsGoIntoOneCallUpToTheBound() {
        Random rnd = new Random(3);
        int hp = 300, wp = 30;                                                    // 9000 patches, 136 rows per call
        Tensor img = random(rnd, 1, 3, hp * PS, wp * PS), wt = random(rnd, D, 3, PS, PS);
        ChunkEmbedder emb = ChunkEmbedder.raster(ImageSource.of(img), wt, null, PS);
        AtomicInteger calls = new AtomicInteger();
        Backend be = counting(calls);
        Tensor all = emb.embed(be, 0, hp * wp);
        int rowsPerCall = ChunkEmbedder.MAX_PIECE / wp;
        assertEquals((hp + rowsPerCall - 1) / rowsPerCall, calls.get());
        assertArrayEquals(ref.patchEmbed(img, wt, null, PS).f32(), all.f32(), 1e-5f);

        calls.set(0);
        emb.embed(be, 5, 5 + 2 * wp + 3);                                         // 25 + 30 + 8 patches
        assertEquals(3, calls.get(), "partial row, one whole row, partial row");
    }
}
