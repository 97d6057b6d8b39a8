package io.scanline.jobs.cli;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.Backends;
import io.scanline.kernels.backend.cuda.CudaBackend;
import io.scanline.kernels.bench.ModelBench;
import io.scanline.kernels.bench.OpProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    @Option(names = "--batch", defaultValue = "1", description = "images per forward: each op call serves all of them, "
            + "and tokens/s counts all their tokens (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--repeats", defaultValue = "1", description = "timed runs per size (per backend with --baseline); the median is printed")
    int repeats;

    @Option(names = "--baseline", description = "also run this backend in the same process, alternating with --backend run by run, "
            + "and print both and the speed-up (it gets the --backend-option values only when it is the same backend)")
    String baseline;

    @Option(names = "--family", split = ",", description = "only these families (default: every family with random weights)")
    List<String> families;

    @Option(names = "--set", split = ",", description = "config overrides KEY=VALUE applied to every family's bench config (e.g. embed_dim=768)")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--profile-ops", description = "after the timed runs, one more run per size with every op timed "
            + "(device synchronized after each op) and the time outside the backend")
    boolean profileOps;

    @Option(names = "--backend-option", split = ",", description = "backend options KEY=VALUE (e.g. threads=2 for djl)")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    @Option(names = "--json-file", description = "also write the results as a JSON array to this file (one object per family, "
            + "size and backend: tokens/s, GFLOP and TFLOP/s, memory figures)")
    java.nio.file.Path jsonFile;

    @Override
    public Integer call() {
        try (Backend be = Backends.open(backend, backendOptions)) {
            ModelBench.DeviceMemory mem = null;
            if (be instanceof CudaBackend cb) {
                mem = new ModelBench.DeviceMemory() {
                    @Override public void resetPeak() { cb.context().resetPeak(); }
                    @Override public long peakBytes() { return cb.context().peakReservedBytes(); }
                };
            }
            OpProfile profile = null;
            if (profileOps) profile = OpProfile.create(be instanceof CudaBackend cb ? () -> cb.context().synchronize() : null);
            Set<String> only = families == null ? null : new HashSet<>(families);
            List<String> json = new java.util.ArrayList<>();
            if (baseline == null) {
                for (ModelBench.Result r : ModelBench.run(be, sizes, chunk, repeats, batch, only, overrides, mem, profile, System.out)) {
                    json.add(r.json(be.name()));
                }
            } else {
                try (Backend base = Backends.open(baseline, baseline.equals(backend) ? backendOptions : Map.of())) {
                    for (ModelBench.Comparison c : ModelBench.compare(be, base, sizes, chunk, repeats, batch, only, overrides, profile, System.out)) {
                        json.add(c.backend().json(be.name()));
                        json.add(c.baseline().json(base.name()));
                    }
                }
            }
            if (jsonFile != null) {
                try {
                    java.nio.file.Files.writeString(jsonFile, "[\n" + String.join(",\n", json) + "\n]\n");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot write " + jsonFile, e);
                }
            }
            if (be instanceof CudaBackend cb) {
                System.out.printf(java.util.Locale.ROOT, "cuda: %s, resident outputs %s, collections requested for resident memory %d "
                        + "(threshold now %d MiB), fp32 FMA peak %.1f TFLOP/s (SMs x 128 lanes x 2 x clock)%n", cb.context().deviceName(),
                        cb.residentOutputs(), cb.residentGcRequests(), cb.residentCollectThreshold() >> 20, cb.context().fp32PeakTflops());
            }
        }
        return 0;
    }
}
