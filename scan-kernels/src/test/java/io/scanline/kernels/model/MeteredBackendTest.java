package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The metering wrapper every model runs its backend through. */
class MeteredBackendTest {

    /**
     * A Backend method the wrapper does not override runs the interface's host default instead of the
     * wrapped backend's device form, silently (a model's fp64 running sums were pulled to the host so).
     */
    @Test
    void overridesEveryBackendMethod() {
        List<String> missing = new ArrayList<>();
        for (Method m : Backend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) continue;
            try {
                MeteredBackend.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        assertTrue(missing.isEmpty(), "MeteredBackend does not forward " + missing);
    }

    @Test
    void forwardsTheSumsAndMetersTheirInput() {
        MemoryLedger ledger = new MemoryLedger(1L << 30, 1);
        Backend be = new MeteredBackend(new ReferenceBackend(), ledger);
        Tensor acc = Tensor.zerosF64(2);
        be.addSumAxis1(Tensor.of(new float[] {1, 2, 3, 4}, 1, 2, 2), acc);
        assertArrayEquals(new double[] {4, 6}, acc.f64(), 0);
        assertTrue(ledger.peakOpBytes() >= 16, "the op's input bytes are recorded");
    }
}
