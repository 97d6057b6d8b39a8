package io.scanline.jobs.cli;

import io.scanline.kernels.io.Safetensors;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifyCommandTest {
    static final Path GOLDEN = Path.of(System.getProperty("scanline.shared", "../shared"), "golden");

    @TempDir
    Path tmp;

    private static String run(int expectedExit, String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = ScanlineCli.execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, rc, out);
        return out;
    }

    @Test
    void passingCaseExitsZeroAndPrintsOneLinePerOutput() {
        String out = run(0, "verify", "--chunk", "7", GOLDEN.resolve("op_selective_scan_E48_N16_L197").toString());
        assertTrue(out.contains("out ") && out.contains("last_state"), out);
        assertTrue(out.contains("2 outputs, 2 passed, 0 failed"), out);
        assertTrue(out.matches("(?s).*abs \\d\\.\\d{3}e-\\d\\d  rel \\d\\.\\d{3}e-\\d\\d  tol 1e-05  PASS.*"), out);
    }

    @Test
    void corruptedReferenceFailsWithExitOne() throws Exception {
        Path src = GOLDEN.resolve("op_causal_conv1d_L5");
        Path dst = Files.createDirectories(tmp.resolve("op_causal_conv1d_L5"));
        Files.copy(src.resolve("config.json"), dst.resolve("config.json"));
        Map<String, Tensor> io = new LinkedHashMap<>(Safetensors.readAll(src.resolve("io.safetensors")));
        Tensor out = io.get("out").copy();
        out.f64()[3] += 1e-3;
        io.put("out", out);
        Safetensors.write(dst.resolve("io.safetensors"), io, Map.of());
        String text = run(1, "verify", dst.toString());
        assertTrue(text.contains("FAIL"), text);
        assertTrue(text.contains("1 failed"), text);
    }

    @Test
    void unknownBackendFailsFast() {
        assertEquals(1, ScanlineCli.execute("verify", "--backend", "nosuch", GOLDEN.resolve("op_ssd_H2_P16_N16_L1").toString()));
    }

    @Test
    void notACaseFolderExitsTwo() {
        run(2, "verify", tmp.resolve("missing").toString());
    }
}
