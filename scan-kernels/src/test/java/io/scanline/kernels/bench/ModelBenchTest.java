package io.scanline.kernels.bench;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model benchmark finds the Mamba families through the SPI and reports a row per family and size. */
class ModelBenchTest {
    @Test
    void reportsEveryRequestedFamilyAndSize() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Set<String> fams = Set.of("defocus_mamba", "vim", "arm");
        List<ModelBench.Result> rs = ModelBench.run(new ReferenceBackend(), new int[] {32, 48}, 3, 1, fams,
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(6, rs.size(), buf.toString(StandardCharsets.UTF_8));
        for (ModelBench.Result r : rs) {
            assertTrue(fams.contains(r.family()));
            assertEquals(r.size() == 32 ? 5 : 10, r.tokens(), r.toString());   // 2×2 / 3×3 patches + class token
            assertTrue(r.tokensPerSecond() > 0 && r.stateBytes() > 0, r.toString());
            assertEquals(r.family().equals("defocus_mamba") ? 0 : r.tokens() * 2 * 192 * 4, r.storeBytes(), r.toString());
        }
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("tokens/s"));
    }
}
