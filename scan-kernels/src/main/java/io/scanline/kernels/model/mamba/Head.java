package io.scanline.kernels.model.mamba;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

/**
 * A classifier head: {@code Linear(D, classes)} under {@code name.*}, or De-focus Large's MLP
 * {@code Linear(D, 3D) → tanh → Linear(3D, classes)} under {@code name.0.*}, {@code name.2.*}.
 * Glossary: D width, (…) any leading axes.
 */
final class Head {
    private final Tensor w0, b0, w2, b2;

    private Head(Tensor w0, Tensor b0, Tensor w2, Tensor b2) {
        this.w0 = w0;
        this.b0 = b0;
        this.w2 = w2;
        this.b2 = b2;
    }

    static Head linear(Weights w, String name, int d, int classes) {
        return new Head(w.get(name + ".weight", classes, d), w.get(name + ".bias", classes), null, null);
    }

    static Head mlp(Weights w, String name, int d, int classes) {
        return new Head(w.get(name + ".0.weight", 3 * d, d), w.get(name + ".0.bias", 3 * d),
                w.get(name + ".2.weight", classes, 3 * d), w.get(name + ".2.bias", classes));
    }

    /** (…, D) → (…, classes). */
    Tensor apply(Backend be, Tensor x) {
        Tensor y = be.linear(x, w0, b0);
        return w2 == null ? y : be.linear(be.tanh(y), w2, b2);
    }
}
