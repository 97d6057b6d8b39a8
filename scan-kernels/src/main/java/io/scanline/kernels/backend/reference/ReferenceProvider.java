package io.scanline.kernels.backend.reference;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BackendProvider;

import java.util.Map;

public final class ReferenceProvider implements BackendProvider {
    @Override
    public String name() { return ReferenceBackend.NAME; }

    @Override
    public String unavailableReason() { return null; }

    @Override
    public Backend create(Map<String, String> options) { return new ReferenceBackend(); }
}
