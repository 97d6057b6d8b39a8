package io.scanline.jobs.cli;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;
import io.scanline.kernels.golden.CaseRunners;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.golden.RunOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "verify", description = {
        "Run golden cases (a case folder, or a folder of case folders) and compare every output.",
        "Prints one line per output: name, max abs error, max relative error, tolerance, PASS/FAIL.",
        "Exit code 0 only if every output of every case passes."})
final class VerifyCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "CASE_DIR", description = "golden case folder(s), or a folder holding them")
    List<Path> cases;

    @Option(names = "--backend", defaultValue = "reference", description = "compute backend (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--chunk", defaultValue = "0",
            description = "split the token sequence into chunks of N tokens and carry the state (0 = whole sequence)")
    int chunk;

    @Option(names = "--mlstm-form", defaultValue = "CHUNKWISE", description = "RECURRENT, CHUNKWISE or PARALLEL")
    MlstmForm mlstmForm;

    @Option(names = "--ssd-form", defaultValue = "CHUNKED", description = "RECURRENT or CHUNKED")
    SsdForm ssdForm;

    @Override
    public Integer call() throws Exception {
        List<Path> dirs = new ArrayList<>();
        for (Path p : cases) {
            if (Files.isRegularFile(p.resolve("config.json"))) {
                dirs.add(p);
            } else if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(d -> Files.isRegularFile(d.resolve("io.safetensors"))).sorted().forEach(dirs::add);
                }
            } else {
                System.err.println("not a golden case folder: " + p);
                return 2;
            }
        }
        RunOptions opts = RunOptions.defaults().withChunk(chunk).withForms(mlstmForm, ssdForm);
        int failed = 0, total = 0;
        try (Backend be = Backends.open(backend)) {
            for (Path d : dirs) {
                GoldenCase g = GoldenCase.load(d);
                long t0 = System.nanoTime();
                List<Comparison> res = CaseRunners.run(g, be, opts);
                double ms = (System.nanoTime() - t0) / 1e6;
                System.out.printf("%s  [%s, backend %s, chunk %s, %.0f ms]%n", g.name(), g.family(), be.name(),
                        chunk <= 0 ? "whole" : Integer.toString(chunk), ms);
                for (Comparison c : res) {
                    System.out.println("  " + c.format());
                    total++;
                    if (!c.pass()) failed++;
                }
            }
        }
        System.out.printf("%d outputs, %d passed, %d failed%n", total, total - failed, failed);
        return failed == 0 ? 0 : 1;
    }
}
