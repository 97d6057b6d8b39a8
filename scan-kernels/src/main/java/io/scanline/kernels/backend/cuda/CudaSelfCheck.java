package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.golden.CaseRunners;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.golden.RunOptions;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The cuda conformance checks as a program, for machines with a GPU but no Maven: every op against
 * the reference backend ({@link CudaConformance}), carried state kept on the device ({@link DeviceStateChecks}),
 * the opt-in bf16 mode ({@link CudaBf16Conformance}),
 * then every golden case under the given folder
 * whole and with chunks of 1, 7 and 64 tokens (state carried). Prints one line per compared tensor
 * and a summary; exit code 0 only if everything passes.
 *
 * <p>Usage: {@code CudaSelfCheck [GOLDEN_DIR]}
 */
public final class CudaSelfCheck {
    private CudaSelfCheck() {}

    public static void main(String[] args) throws Exception {
        int failed = run(args.length > 0 ? Path.of(args[0]) : null, System.out);
        System.exit(failed == 0 ? 0 : 1);
    }

    /** @return the number of failed comparisons. */
    public static int run(Path goldenDir, PrintStream out) throws Exception {
        int total = 0, failed = 0;
        try (Backend be = Backends.open(CudaBackend.NAME, Map.of())) {
            CudaBackend cuda = (CudaBackend) be;
            out.println("device: " + cuda.context().deviceName() + ", " + cuda.context().smCount() + " SMs, "
                    + (cuda.context().totalMemory() >> 20) + " MiB");
            long t0 = System.nanoTime();
            List<Comparison> res = new CudaConformance(cuda, new ReferenceBackend(), 20240601L).runAll();
            for (Comparison c : res) {
                total++;
                if (!c.pass()) failed++;
                if (!c.pass() || c.relErr() > 1e-6) out.println("  " + c.format());
            }
            out.printf("conformance vs reference: %d compared, %d failed, worst rel %.3e (%.1f s; lines above: failures and rel > 1e-6)%n",
                    res.size(), res.stream().filter(c -> !c.pass()).count(),
                    res.stream().mapToDouble(c -> Double.isNaN(c.relErr()) ? Double.POSITIVE_INFINITY : c.relErr()).max().orElse(0),
                    (System.nanoTime() - t0) / 1e9);
            List<Comparison> st = new ArrayList<>(new DeviceStateChecks(cuda, new ReferenceBackend(), 20240603L).runAll());
            st.add(DeviceStateChecks.closePullsBack(() -> (CudaBackend) Backends.open(CudaBackend.NAME, Map.of()), new ReferenceBackend(), 20240604L));
            for (Comparison c : st) {
                total++;
                if (!c.pass()) failed++;
                if (!c.pass() || c.relErr() > 1e-6) out.println("  " + c.format());
            }
            out.printf("carried state on the device: %d compared, %d failed%n", st.size(), st.stream().filter(c -> !c.pass()).count());
            try (Backend bb = Backends.open(CudaBackend.NAME, Map.of("precision", "bf16"))) {
                List<Comparison> br = new CudaBf16Conformance((CudaBackend) bb, new ReferenceBackend(), 20240602L).runAll();
                for (Comparison c : br) {
                    total++;
                    if (!c.pass()) failed++;
                    out.println("  " + c.format());
                }
                out.printf("bf16 mode vs reference: %d compared, %d failed%n", br.size(), br.stream().filter(c -> !c.pass()).count());
            }
            if (goldenDir != null) {
                List<Path> dirs = new ArrayList<>();
                try (Stream<Path> s = Files.list(goldenDir)) {
                    s.filter(d -> Files.isRegularFile(d.resolve("io.safetensors"))).sorted().forEach(dirs::add);
                }
                int gTotal = 0, gFailed = 0;
                for (Path d : dirs) {
                    GoldenCase g = GoldenCase.load(d);
                    for (int chunk : new int[] {0, 1, 7, 64}) {
                        RunOptions o = RunOptions.defaults().withChunk(chunk);
                        List<Comparison> cr;
                        try {
                            cr = CaseRunners.run(g, cuda, o);
                        } catch (IllegalArgumentException e) {
                            out.printf("golden %s chunk %d: no runner (%s)%n", g.name(), chunk, e.getMessage());
                            gFailed++;
                            gTotal++;
                            continue;
                        }
                        double worst = 0;
                        for (Comparison c : cr) {
                            gTotal++;
                            worst = Math.max(worst, c.relErr());
                            if (!c.pass()) {
                                gFailed++;
                                out.println("  FAIL " + g.name() + " chunk " + chunk + ": " + c.format());
                            }
                        }
                        out.printf("golden %-44s chunk %-5s %d outputs, worst rel %.3e%n", g.name(),
                                chunk == 0 ? "whole" : Integer.toString(chunk), cr.size(), worst);
                    }
                }
                out.printf("golden cases: %d cases x 4 chunkings, %d outputs compared, %d failed%n", dirs.size(), gTotal, gFailed);
                total += gTotal;
                failed += gFailed;
            }
        }
        out.printf("SELF-CHECK %s: %d comparisons, %d failed%n", failed == 0 ? "PASS" : "FAIL", total, failed);
        return failed;
    }
}
