package io.scanline.jobs.cli;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.bench.ModelBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench-models", description = {
        "Tokens/s of whole streamed model forwards per family (random weights at the golden cases' dims,",
        "synthetic square images). A benchmark, not a test."})
final class BenchModelsCommand implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "reference", description = "compute backend (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--sizes", split = ",", defaultValue = "224,1024", description = "square image sides in pixels (default: ${DEFAULT-VALUE})")
    int[] sizes;

    @Option(names = "--chunk", defaultValue = "256", description = "tokens per chunk inside every pass (default: ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--repeats", defaultValue = "1", description = "timed runs per size; the median is printed")
    int repeats;

    @Option(names = "--family", split = ",", description = "only these families (default: every family with random weights)")
    List<String> families;

    @Override
    public Integer call() {
        try (Backend be = Backends.open(backend)) {
            ModelBench.run(be, sizes, chunk, repeats, families == null ? null : new HashSet<>(families), System.out);
        }
        return 0;
    }
}
