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

    @Option(names = "--compare", description = "also run this backend (e.g. reference) and print the speed-up of --backend over it")
    String compare;

    @Option(names = "--lengths", split = ",", description = "sequence lengths to run (default 1024,4096; 197,4096 = 224x224 and 1024x1024 images)")
    int[] lengths;

    @Option(names = "--device-resident", description = {
            "cuda only: benchmark the kernels on device-resident data (vision shapes, L up to 1M tokens,",
            "batch up to 64): tokens/s, GB/s and % of the measured copy bandwidth, TFLOP/s, bf16 rows against the",
            "measured tensor-core peak and their roofline, peak GPU memory"})
    boolean deviceResident;

    @Option(names = "--json-file", description = "with --device-resident: write the results as a JSON array to this file")
    java.nio.file.Path jsonFile;

    @Option(names = "--quick", description = "with --device-resident: a few small cases only")
    boolean quick;

    @Option(names = "--max-gib", defaultValue = "40", description = "with --device-resident: skip cases needing more GPU memory (GiB)")
    double maxGib;

    @Override
    public Integer call() throws java.io.IOException {
        if (deviceResident) {
            if (!backend.equals("cuda")) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--device-resident needs --backend cuda");
            Backends.open("cuda").close(); // fails fast, with the reason, where cuda is unavailable
            io.scanline.kernels.bench.cuda.CudaBench.run(quick, jsonFile, maxGib, System.out);
            return 0;
        }
        int[] ls = lengths == null ? new int[] {1024, 4096} : lengths;
        java.util.List<OpBench.Result> mine;
        try (Backend be = Backends.open(backend)) {
            System.out.println("backend " + be.name());
            mine = OpBench.run(be, seconds, json, System.out, ls);
        }
        if (compare != null) {
            java.util.List<OpBench.Result> base;
            try (Backend be = Backends.open(compare)) {
                System.out.println("backend " + be.name());
                base = OpBench.run(be, seconds, json, System.out, ls);
            }
            System.out.printf("%-16s %-30s %12s %12s %9s %9s%n", "op", "shape", backend + " tok/s", compare + " tok/s",
                    "speed-up", "cpu sp-up");
            for (int i = 0; i < mine.size(); i++) {
                OpBench.Result a = mine.get(i), b = base.get(i);
                System.out.printf(java.util.Locale.ROOT, "%-16s %-30s %12.0f %12.0f %8.1fx %8.1fx%n", a.op(), a.shape(),
                        a.tokensPerSecond(), b.tokensPerSecond(), a.tokensPerSecond() / b.tokensPerSecond(),
                        a.tokensPerCpuSecond() / b.tokensPerCpuSecond());
            }
        }
        return 0;
    }
}
