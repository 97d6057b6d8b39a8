package io.scanline.kernels.model.mamba;

import io.scanline.kernels.tensor.Tensor;

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

    long bytes() {
        return tail.bytes() + h.bytes();
    }
}
