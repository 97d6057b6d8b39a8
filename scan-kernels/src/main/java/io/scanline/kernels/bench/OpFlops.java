package io.scanline.kernels.bench;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Floating-point operations of a model run, counted from the shapes of its op calls: wrap a backend,
 * run the model, read {@link #total}. The counts are the usual ones: GEMMs 2·M·K·N, convolutions 2 per
 * tap, the selective scan and SSD 6 per state element and token (exp, δ·A, δu·B, the state FMA, C·h),
 * the chunkwise mLSTM 4·DH² + 4·Q·DH per token and head (state update and read-out, intra-chunk scores
 * and values), norms 5 and other elementwise ops 1 per element; data movement (slices, joins, flips)
 * counts nothing. An exp or a division counts as one operation, as profilers count them.
 *
 * <p>Glossary: B batch, L tokens, E channels, N state size, H heads, P head width, NH mLSTM heads, DH
 * head width, Q chunk length, K conv taps, D width.
 */
public final class OpFlops {
    private long total;

    public long total() { return total; }

    /** Operations of the chunkwise mLSTM over {@code tokensHeads} (token, head) pairs: 4·DH² + 4·Q·DH each. */
    public static long mlstmChunkwise(long tokensHeads, int dh, int chunk) {
        return tokensHeads * (4L * dh * dh + 4L * chunk * dh);
    }

    public void reset() { total = 0; }

    /** A backend that forwards every call to {@code inner} and adds the call's operations here. */
    public Backend wrap(Backend inner) {
        InvocationHandler h = (proxy, m, args) -> {
            try {
                Object r = m.invoke(inner, args);
                total += flops(m.getName(), args);
                return r;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }

    /** Operations of one call of op {@code name} with these arguments (0 for ops that move data only). */
    static long flops(String name, Object[] args) {
        switch (name) {
            case "linear": {
                Tensor x = (Tensor) args[0], w = (Tensor) args[1];
                long rows = x.numel() / Math.max(1, x.dim(-1));
                return 2L * rows * w.dim(1) * w.dim(0) + (args[2] == null ? 0 : rows * w.dim(0));
            }
            case "headwiseLinear": return 8L * ((Tensor) args[0]).numel();
            case "causalConv1d": return 2L * ((Tensor) args[1]).dim(1) * ((Tensor) args[0]).numel();
            case "selectiveScan": {
                Tensor u = (Tensor) args[0], a = (Tensor) args[2];
                return u.numel() * (6L * a.dim(1) + 10);
            }
            case "ssd": {
                Tensor x = (Tensor) args[2], bm = (Tensor) args[5];
                return x.numel() * (6L * bm.dim(3) + 4);
            }
            case "mlstm": {
                Tensor q = (Tensor) args[2];
                int dh = q.dim(3);
                long tokensHeads = q.numel() / Math.max(1, dh);
                return mlstmChunkwise(tokensHeads, dh, Math.max(1, Math.min((Integer) args[1], q.dim(1))));
            }
            case "patchEmbed": {
                Tensor img = (Tensor) args[0], w = (Tensor) args[1];
                int st = (Integer) args[3], ps = w.dim(2);
                long gh = (img.dim(2) - ps) / st + 1, gw = (img.dim(3) - ps) / st + 1;
                return 2L * img.dim(0) * gh * gw * (w.numel());
            }
            case "depthwiseConv2d3x3": return 18L * ((Tensor) args[0]).numel();
            case "layerNorm": case "groupLayerNorm": case "rmsNorm": case "groupRmsNorm":
                return 5L * ((Tensor) args[0]).numel();
            case "gatedRmsNorm": return 8L * ((Tensor) args[0]).numel();
            case "silu": case "tanh": case "add": case "mul": case "mulChannels":
                return ((Tensor) args[0]).numel();
            case "axpby": return 3L * ((Tensor) args[0]).numel();
            case "rope": return 6L * ((Tensor) args[0]).numel();
            case "bicubicResize": return 32L * (Integer) args[1] * (Integer) args[2] * Math.max(1, ((Tensor) args[0]).numel()
                    / Math.max(1L, (long) ((Tensor) args[0]).dim(-1) * ((Tensor) args[0]).dim(-2)));
            default: return 0;
        }
    }
}
