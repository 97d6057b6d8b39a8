package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.ChunkEmbedder;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.model.PositionTable;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The token sequence entering the first block of Vim and ARM (spec models §4.2, §7.2): raster-ordered
 * patch embeddings with the class token inserted at c = M//2, plus the learned table; the table's patch
 * grid is resized to the image grid (decision D4) and its class entry stays with the class token.
 *
 * <p>Glossary: B images, (Hp, Wp) patch grid, M = Hp·Wp patches, L = M + 1 tokens, D width.
 */
final class MiddleClsEmbedding {
    private final Tensor patchW, patchB, cls, clsPos;   // cls (1, 1, D), clsPos (D)
    private final PositionTable table;
    private final int ps, stride, d;

    MiddleClsEmbedding(Weights w, int d, int ps, int stride, int hp0, int wp0) {
        this.d = d;
        this.ps = ps;
        this.stride = stride;
        this.patchW = w.get("patch_embed.proj.weight", d, 3, ps, ps);
        this.patchB = w.get("patch_embed.proj.bias", d);
        this.cls = w.get("cls_token", 1, 1, d);
        int m0 = hp0 * wp0;
        Tensor pos = w.get("pos_embed", 1, m0 + 1, d);
        this.table = PositionTable.fromSequence(pos, m0 / 2, hp0, wp0);
        this.clsPos = table.classEntry();
    }

    /** Training grid side from img_size, patch and stride (spec ops §4.1). */
    static int grid(int imgSize, int ps, int stride) {
        if (imgSize < ps) throw new WeightsException("img_size " + imgSize + " is smaller than patch_size " + ps);
        return (imgSize - ps) / stride + 1;
    }

    Bound bind(ImageSource image) {
        return new Bound(image);
    }

    /** The embedding of one image batch. */
    final class Bound {
        final int batch, hp, wp, m, c, length;
        private final ChunkEmbedder patches;

        private Bound(ImageSource image) {
            ChunkEmbedder.Grid g = ChunkEmbedder.Grid.of(image.height(), image.width(), ps, stride);
            this.batch = image.batch();
            this.hp = g.hp();
            this.wp = g.wp();
            this.m = hp * wp;
            this.c = m / 2;
            this.length = m + 1;
            this.patches = ChunkEmbedder.raster(image, patchW, patchB, stride);
        }

        /** Tokens [a, b) of the sequence with the class token at c: (B, b − a, D). */
        Tensor tokens(Backend be, int a, int b) {
            List<Tensor> parts = new ArrayList<>();
            if (a < Math.min(b, c)) parts.add(patchRange(be, a, Math.min(b, c)));
            if (a <= c && c < b) parts.add(classToken(be));
            if (Math.max(a, c + 1) < b) parts.add(patchRange(be, Math.max(a, c + 1) - 1, b - 1));
            return parts.size() == 1 ? parts.get(0) : be.concatAxis1(parts);
        }

        private Tensor patchRange(Backend be, int p0, int p1) {
            Tensor e = patches.embed(be, p0, p1);
            int r0 = p0 / wp, r1 = (p1 - 1) / wp + 1;
            Tensor rows = table.rows(hp, wp, r0, r1).reshape(1, (r1 - r0) * wp, d).sliceAxis1(p0 - r0 * wp, p1 - r0 * wp);
            return be.add(e, repeat(rows, batch));
        }

        private Tensor classToken(Backend be) {
            return be.add(repeat(cls, batch), repeat(clsPos.reshape(1, 1, d), batch));
        }
    }

    /** (1, n, D) repeated to (B, n, D). */
    static Tensor repeat(Tensor t, int batch) {
        if (batch == 1) return t;
        float[] src = t.f32(), out = new float[src.length * batch];
        for (int b = 0; b < batch; b++) System.arraycopy(src, 0, out, b * src.length, src.length);
        int[] s = t.shape();
        s[0] = batch;
        return Tensor.of(out, s);
    }
}
