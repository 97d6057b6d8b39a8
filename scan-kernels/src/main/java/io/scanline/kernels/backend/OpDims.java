package io.scanline.kernels.backend;

import io.scanline.kernels.tensor.Tensor;

/**
 * The dimensions of one op call, read from and checked against its arguments once, so every backend
 * validates a call the same way and fails with the same message (spec ops: argument shapes).
 *
 * <p>Glossary: B batch, L tokens, E channels, N state size; SSD: H heads, P head width, G groups;
 * mLSTM: NH heads, DH head width; patch embedding: C image channels, H × W pixels, ps patch size,
 * st stride, Hp × Wp patch grid, D width.
 */
public final class OpDims {
    private OpDims() {}

    /** Selective scan (Mamba-1): u, δ, z (B, L, E); A (E, N); B, C (B, L, N); D, δ bias (E); h (B, E, N). */
    public record Scan(int b, int l, int e, int n) {
        public static Scan of(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor z,
                              Tensor deltaBias, Tensor h) {
            Shapes.requireRank(u, "u", 3);
            int b = u.dim(0), l = u.dim(1), e = u.dim(2);
            Shapes.require(delta, "delta", b, l, e);
            Shapes.require(a, "A", e, -1);
            int n = a.dim(1);
            Shapes.require(bm, "B", b, l, n);
            Shapes.require(cm, "C", b, l, n);
            Shapes.requireOptional(d, "D", e);
            Shapes.requireOptional(z, "z", b, l, e);
            Shapes.requireOptional(deltaBias, "delta_bias", e);
            Shapes.require(h, "h", b, e, n);
            return new Scan(b, l, e, n);
        }
    }

    /** SSD (Mamba-2): x (B, L, H, P); dt (B, L, H); A, D, dt bias (H); B, C (B, L, G, N); state (B, H, P, N). */
    public record Ssd(int b, int l, int heads, int p, int g, int n) {
        public static Ssd of(Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor dtBias, Tensor state) {
            Shapes.requireRank(x, "x", 4);
            int b = x.dim(0), l = x.dim(1), hh = x.dim(2), p = x.dim(3);
            Shapes.require(dt, "dt", b, l, hh);
            Shapes.require(a, "A", hh);
            Shapes.requireRank(bm, "B", 4);
            int g = bm.dim(2), n = bm.dim(3);
            Shapes.require(bm, "B", b, l, g, n);
            Shapes.require(cm, "C", b, l, g, n);
            if (g < 1 || hh % g != 0) throw new IllegalArgumentException("heads " + hh + " not divisible by groups " + g);
            Shapes.requireOptional(d, "D", hh);
            Shapes.requireOptional(dtBias, "dt_bias", hh);
            Shapes.require(state, "state", b, hh, p, n);
            return new Ssd(b, l, hh, p, g, n);
        }

        /** Heads per B/C group. */
        public int headsPerGroup() { return heads / g; }
    }

    /** mLSTM: q, k, v (B, L, NH, DH); gates (B, L, NH); C (B, NH, DH, DH); n (B, NH, DH); m (B, NH). */
    public record Mlstm(int b, int l, int nh, int dh) {
        public static Mlstm of(Tensor q, Tensor k, Tensor v, Tensor ig, Tensor fg, Tensor c, Tensor n, Tensor m) {
            Shapes.requireRank(q, "q", 4);
            int b = q.dim(0), l = q.dim(1), nh = q.dim(2), dh = q.dim(3);
            Shapes.require(k, "k", b, l, nh, dh);
            Shapes.require(v, "v", b, l, nh, dh);
            Shapes.require(ig, "igate", b, l, nh);
            Shapes.require(fg, "fgate", b, l, nh);
            Shapes.require(c, "C", b, nh, dh, dh);
            Shapes.require(n, "n", b, nh, dh);
            Shapes.require(m, "m", b, nh);
            return new Mlstm(b, l, nh, dh);
        }
    }

    /** Patch embedding: image (B, C, H, W); weight (D, C, ps, ps); bias (D); output (B, Hp·Wp, D). */
    public record Patch(int b, int ch, int h, int w, int d, int ps, int stride, int hp, int wp) {
        public static Patch of(Tensor img, Tensor weight, Tensor bias, int stride) {
            Shapes.requireRank(img, "image", 4);
            int bsz = img.dim(0), ch = img.dim(1), hh = img.dim(2), ww = img.dim(3);
            Shapes.requireRank(weight, "patch weight", 4);
            int d = weight.dim(0), ps = weight.dim(2);
            Shapes.require(weight, "patch weight", d, ch, ps, ps);
            Shapes.requireOptional(bias, "patch bias", d);
            if (stride < 1) throw new IllegalArgumentException("patch stride must be >= 1, got " + stride);
            if (hh < ps || ww < ps) throw new IllegalArgumentException("image " + hh + "x" + ww + " smaller than patch " + ps);
            return new Patch(bsz, ch, hh, ww, d, ps, stride, (hh - ps) / stride + 1, (ww - ps) / stride + 1);
        }
    }
}
