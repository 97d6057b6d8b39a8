package io.scanline.kernels.model.adventurer;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Carried state of one Adventurer pass for B images (spec streaming §3, §4.5): the mixer's conv tail
 * and SSD state (fresh zeros before the heading-average token), and the fp64 running sum of the next
 * layer's normalized input, from which that layer's heading average is formed at the end of the pass.
 *
 * <p>Glossary: B images, K conv width, C = E + 2N conv channels, H heads, P head dim, N state size, D width.
 */
public final class AdventurerPassState {
    final Tensor tail;     // (B, K-1, C)
    final Tensor ssm;      // (B, H, P, N)
    final Tensor sum;      // (B·D) F64: Σ over written tokens of RMSNorm_{n+1}(s); may live on the device

    private AdventurerPassState(Tensor tail, Tensor ssm, Tensor sum) {
        this.tail = tail;
        this.ssm = ssm;
        this.sum = sum;
    }

    public static AdventurerPassState fresh(int batch, int k, int convChannels, int heads, int headDim, int state, int d) {
        return new AdventurerPassState(Tensor.zeros(batch, k - 1, convChannels), Tensor.zeros(batch, heads, headDim, state),
                Tensor.zerosF64(batch * d));
    }

    /** A fresh state whose zeros are set where {@code be} keeps states (on a GPU: no upload at the first op). */
    public static AdventurerPassState fresh(Backend be, int batch, int k, int convChannels, int heads, int headDim, int state, int d) {
        AdventurerPassState st = fresh(batch, k, convChannels, heads, headDim, state, d);
        be.fillState(0f, st.tail, st.ssm, st.sum);
        return st;
    }

    public long bytes() {
        return tail.bytes() + ssm.bytes() + sum.bytes();
    }

    public Map<String, Tensor> snapshot() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("conv.tail", tail.copy());
        out.put("ssd.state", ssm.copy());
        out.put("next_mean.sum", sum.copy());
        return out;
    }

    public static AdventurerPassState restore(Map<String, Tensor> snap) {
        Tensor tail = snap.get("conv.tail"), ssm = snap.get("ssd.state"), sum = snap.get("next_mean.sum");
        if (tail == null || ssm == null || sum == null) {
            throw new IllegalArgumentException("Adventurer pass state snapshot needs conv.tail, ssd.state and next_mean.sum, got " + snap.keySet());
        }
        return new AdventurerPassState(tail.copy(), ssm.copy(), sum.toF64().copy());
    }
}
