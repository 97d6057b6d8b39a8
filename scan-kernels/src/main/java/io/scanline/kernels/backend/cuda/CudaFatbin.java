package io.scanline.kernels.backend.cuda;

import java.io.IOException;
import java.io.InputStream;

/**
 * The kernels compiled at build time (scan-kernels/src/main/cuda, by build-fatbin.sh) into one fatbin on
 * the classpath: sm_90 and sm_90a machine code plus compute_90 PTX. Nothing is compiled at run time.
 */
final class CudaFatbin {
    static final String RESOURCE = "/cuda/scanline.fatbin";

    private CudaFatbin() {}

    /** @return the fatbin bytes, or null when this build has none (nvcc was absent at build time). */
    static byte[] load() {
        try (InputStream in = CudaFatbin.class.getResourceAsStream(RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + " from the classpath", e);
        }
    }

    static boolean present() {
        return CudaFatbin.class.getResource(RESOURCE) != null;
    }
}
