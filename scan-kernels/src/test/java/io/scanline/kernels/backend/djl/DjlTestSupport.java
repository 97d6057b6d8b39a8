package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Opens the djl backend (failing, never skipping, when it is unavailable) and compares tensors. */
final class DjlTestSupport {
    private DjlTestSupport() {}

    static Backend open() {
        String why = new DjlProvider().unavailableReason();
        if (why != null) fail("djl backend must be available in this build: " + why);
        return Backends.open("djl");
    }

    /** Normwise relative error (spec ops §2) at most tol. */
    static void close(String what, Tensor out, Tensor ref, double tol) {
        Comparison c = Comparison.relative(what, out, ref, tol);
        assertTrue(c.pass(), c.format());
    }

    static void closeM(String what, Tensor out, Tensor ref, double tol) {
        Comparison c = Comparison.stabilizer(what, out, ref, tol);
        assertTrue(c.pass(), c.format());
    }
}
