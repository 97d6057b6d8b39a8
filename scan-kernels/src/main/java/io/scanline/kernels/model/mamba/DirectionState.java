package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Carried state of one Mamba-1 direction (spec streaming §3): the conv tail of the last K−1 pre-conv
 * inputs and the SSM state h. The backend ops read and overwrite these tensors in place.
 *
 * <p>Glossary: B images, K conv width, E inner width, N state size.
 */
record DirectionState(Tensor tail, Tensor h) {
    static DirectionState fresh(int batch, Mamba1Params p) {
        return new DirectionState(Tensor.zeros(batch, p.k() - 1, p.e()), Tensor.zeros(batch, p.e(), p.n()));
    }

    /** A fresh state whose zeros are set where {@code be} keeps states (on a GPU: no upload at the first op). */
    static DirectionState fresh(Backend be, int batch, Mamba1Params p) {
        DirectionState st = fresh(batch, p);
        be.fillState(0f, st.tail, st.h);
        return st;
    }

    long bytes() {
        return tail.bytes() + h.bytes();
    }

    /** A deep copy of this state as named tensors ({@code name.conv_tail}, {@code name.h}): a checkpoint. */
    Map<String, Tensor> snapshot(String name) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(name + ".conv_tail", tail.copy());
        m.put(name + ".h", h.copy());
        return m;
    }

    /** A new state from a {@link #snapshot} (tensors copied), checked against the shapes of {@code like}. */
    static DirectionState restore(Map<String, Tensor> m, String name, DirectionState like) {
        return new DirectionState(part(m, name + ".conv_tail", like.tail), part(m, name + ".h", like.h));
    }

    private static Tensor part(Map<String, Tensor> m, String key, Tensor like) {
        Tensor t = m.get(key);
        if (t == null) throw new IllegalStateException("carried state '" + key + "' missing from snapshot " + m.keySet());
        if (!Arrays.equals(t.shape(), like.shape())) {
            throw new IllegalStateException("carried state '" + key + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(like.shape()));
        }
        return t.toF32().copy();
    }
}
