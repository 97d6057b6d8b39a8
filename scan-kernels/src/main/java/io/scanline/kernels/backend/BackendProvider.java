package io.scanline.kernels.backend;

import java.util.Map;

/**
 * Service-provider entry of a backend, found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.scanline.kernels.backend.BackendProvider}). A provider must be cheap to
 * construct: native libraries are touched only in {@link #unavailableReason()} and {@link #create}.
 */
public interface BackendProvider {
    /** Name used in configuration: {@code reference}, {@code djl}, {@code cuda}. */
    String name();

    /** @return null when the backend can run here, otherwise why not (missing GPU, library, ...). */
    String unavailableReason();

    /** Creates a backend; options are backend-specific (e.g. {@code device=0}, {@code precision=bf16}). */
    Backend create(Map<String, String> options);
}
