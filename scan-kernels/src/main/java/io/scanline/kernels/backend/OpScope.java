package io.scanline.kernels.backend;

import io.scanline.kernels.tensor.Tensor;

/**
 * A region of op calls whose outputs die with it: a device backend frees the outputs made inside when
 * the scope closes, except those {@link #keep kept}, instead of waiting for the garbage collector to
 * find them (on a GPU the collector cannot see device memory, so each collection is requested
 * explicitly and pauses the process). Reading a freed output afterwards, on the host or as an op
 * input, fails with a clear error rather than returning stale data. Host backends keep nothing on a
 * device: their scope is {@link #NONE}. Scopes nest and close in reverse order of opening.
 */
public interface OpScope extends AutoCloseable {

    /** t outlives this scope (it moves to the enclosing scope, if any); returns t. */
    Tensor keep(Tensor t);

    @Override
    void close();

    /** The scope of backends whose outputs live on the host: frees nothing. */
    OpScope NONE = new OpScope() {
        @Override public Tensor keep(Tensor t) { return t; }

        @Override public void close() {}
    };
}
