package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.tensor.Tensor;

/**
 * One Mamba-1 direction without out_proj (spec ops §8.2, {@code mamba_inner_fn_no_out_proj}) over one
 * chunk, carrying conv tail and h. A reverse direction is the same call on reversed chunks taken from
 * the end of the sequence.
 *
 * <p>Glossary: B images, L tokens of the chunk, E inner width, N state size, R dt rank.
 */
final class Mamba1Direction {
    private Mamba1Direction() {}

    /**
     * @param x (B, L, E) the x half of in_proj's output
     * @param z (B, L, E) the gate half
     * @return (B, L, E) scan output gated by silu(z), D included
     */
    static Tensor run(Backend be, Mamba1Params p, Tensor x, Tensor z, DirectionState s) {
        Tensor xc = be.causalConv1d(x, p.convW(), p.convB(), s.tail(), true);
        Tensor dt = be.linear(xc, p.wDt(), null);
        Tensor bm = be.linear(xc, p.wB(), null);
        Tensor cm = be.linear(xc, p.wC(), null);
        // dt_proj's bias is added inside the scan before softplus (ops §8.1), not by the projection
        Tensor delta = be.linear(dt, p.dtW(), null);
        return be.selectiveScan(xc, delta, p.a(), bm, cm, p.d(), z, p.dtB(), true, s.h());
    }

    /**
     * One direction of a bidirectional mixer over a chunk of normed tokens, with in_proj split into its
     * x and z halves and out_proj applied (Vim §4, ARM §7). A reverse direction scans the chunk reversed
     * and hands its output back in token order.
     *
     * @param hn (B, L, D) normed layer input; wx, wz (E, D); outW (D, E)
     * @return (B, L, D) out_proj(y) of this direction
     */
    static Tensor mix(Backend be, Mamba1Params p, Tensor hn, Tensor wx, Tensor wz, Tensor outW, DirectionState s,
                      boolean reverse) {
        // every intermediate dies here: a device backend frees them when the scope closes
        try (OpScope scope = be.opScope()) {
            Tensor in = reverse ? be.flipAxis1(hn) : hn;
            Tensor y = run(be, p, be.linear(in, wx, null), be.linear(in, wz, null), s);
            if (reverse) y = be.flipAxis1(y);
            return scope.keep(be.linear(y, outW, null));
        }
    }
}
