package io.scanline.jobs.cli;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.bench.OpBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "bench", description = "Micro-benchmark of the scan ops: tokens/s per op and size (a benchmark, not a test).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "reference", description = "compute backend (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--seconds", defaultValue = "1.0", description = "minimum measuring time per case")
    double seconds;

    @Option(names = "--json", description = "also print the results as JSON lines")
    boolean json;

    @Override
    public Integer call() {
        try (Backend be = Backends.open(backend)) {
            OpBench.run(be, seconds, json, System.out);
        }
        return 0;
    }
}
