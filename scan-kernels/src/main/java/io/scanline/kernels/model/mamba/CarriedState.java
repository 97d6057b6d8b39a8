package io.scanline.kernels.model.mamba;

import io.scanline.kernels.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The per-image carried state of a streamed pass, separate from config and weights: named F32 tensors
 * (conv tails, SSM states, each with a leading batch axis) plus the index of the next token to scan
 * (De-focus's global RoPE position). It can be snapshotted and restored into a fresh stream, which is
 * what a keyed-state backend needs.
 *
 * <p>Glossary: B images; tensor shapes as documented by the family that creates them.
 */
public final class CarriedState {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private long position;

    /** The tensor under name, created as zeros of {@code shape} if absent (a fresh sequence). */
    Tensor getOrZeros(String name, int... shape) {
        Tensor t = tensors.get(name);
        if (t == null) {
            t = Tensor.zeros(shape);
            tensors.put(name, t);
        } else if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalStateException("carried state '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(shape) + " (restored from another model?)");
        }
        return t;
    }

    DirectionState direction(String name, int batch, Mamba1Params p) {
        return new DirectionState(getOrZeros(name + ".conv_tail", batch, p.k() - 1, p.e()),
                getOrZeros(name + ".h", batch, p.e(), p.n()));
    }

    /** Index of the next token of the scan sequence (= tokens already consumed). */
    public long position() { return position; }

    void advance(long tokens) { position += tokens; }

    public Map<String, Tensor> tensors() { return Collections.unmodifiableMap(tensors); }

    public long bytes() {
        long b = 0;
        for (Tensor t : tensors.values()) b += t.bytes();
        return b;
    }

    /** A deep copy: later chunks of this stream do not change it. */
    public CarriedState snapshot() {
        CarriedState s = new CarriedState();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) s.tensors.put(e.getKey(), e.getValue().copy());
        s.position = position;
        return s;
    }

    /** Rebuilds a state from its parts (e.g. read back from a checkpoint); tensors are copied. */
    public static CarriedState of(Map<String, Tensor> tensors, long position) {
        CarriedState s = new CarriedState();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) s.tensors.put(e.getKey(), e.getValue().toF32().copy());
        s.position = position;
        return s;
    }
}
