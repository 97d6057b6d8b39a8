package io.scanline.kernels.bench;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpProfileTest {
    @Test
    void countsEveryOpForwardsResultsAndErrors() {
        AtomicInteger syncs = new AtomicInteger();
        OpProfile p = OpProfile.create(syncs::incrementAndGet);
        Backend ref = new ReferenceBackend();
        Backend be = p.wrap(ref);
        assertEquals(ref.name(), be.name());
        Tensor x = Tensor.of(new float[] {1, -2, 3, 0.5f, 4, -1}, 2, 3);
        Tensor w = Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 2, 3);
        assertArrayEquals(ref.linear(x, w, null).f32(), be.linear(x, w, null).f32());
        be.silu(x);
        be.silu(x);
        // a shape error comes out as itself, not wrapped in a reflection exception
        assertThrows(IllegalArgumentException.class, () -> be.mul(x, w.reshape(3, 2)));
        assertEquals(3, syncs.get(), "one sync per successful op (linear, silu, silu; not the failed mul)");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long wall = p.opNanos() * 2 + 1;
        p.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), wall);
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(table.matches("(?s).*silu\\s+2\\s.*"), table);
        assertTrue(table.matches("(?s).*linear\\s+1\\s.*"), table);
        assertTrue(table.matches("(?s).*mul\\s+1\\s.*"), table);
        assertTrue(table.contains("(outside the backend)"), table);
        p.reset();
        assertEquals(0, p.opNanos());
    }
}
