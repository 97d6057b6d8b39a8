package io.scanline.kernels.stream;

import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The complete carried state of one image scan between two chunks (spec streaming §3): named F32
 * tensors (conv tails, SSM states, ...) and named int64 scalars (positions, counters). It is the only
 * thing a scan needs to continue, so it is what keyed state stores. Insertion order is kept, so two
 * equal states serialize to equal bytes.
 */
public final class CarriedState {
    private final Map<String, Tensor> tensors;
    private final Map<String, Long> scalars;

    public CarriedState(Map<String, Tensor> tensors, Map<String, Long> scalars) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getValue().dtype() != DType.F32) {
                throw new IllegalArgumentException("carried state '" + e.getKey() + "' must be F32, got " + e.getValue().dtype());
            }
        }
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.scalars = Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
    }

    public Map<String, Tensor> tensors() { return tensors; }

    public Map<String, Long> scalars() { return scalars; }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("carried state has no tensor '" + name + "' (has " + tensors.keySet() + ")");
        return t;
    }

    public long scalar(String name) {
        Long v = scalars.get(name);
        if (v == null) throw new IllegalArgumentException("carried state has no scalar '" + name + "' (has " + scalars.keySet() + ")");
        return v;
    }

    /** Payload bytes (tensor data plus scalars): the "state bytes per image" metric. */
    public long bytes() {
        long b = 8L * scalars.size();
        for (Tensor t : tensors.values()) b += t.bytes();
        return b;
    }

    /** A deep copy: the scan keeps mutating its own tensors in place. */
    public CarriedState copy() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        tensors.forEach((k, v) -> t.put(k, v.copy()));
        return new CarriedState(t, scalars);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CarriedState s)) return false;
        if (!tensors.keySet().equals(s.tensors.keySet()) || !scalars.equals(s.scalars)) return false;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor a = e.getValue(), b = s.tensors.get(e.getKey());
            if (!Arrays.equals(a.shape(), b.shape()) || !Arrays.equals(a.f32(), b.f32())) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(tensors.keySet(), scalars);
    }

    @Override
    public String toString() {
        return "CarriedState" + tensors.keySet() + scalars + " (" + bytes() + " B)";
    }
}
