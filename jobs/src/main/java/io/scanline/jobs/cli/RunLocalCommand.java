package io.scanline.jobs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.jobs.flink.JobSettings;
import io.scanline.jobs.flink.LocalRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code scanline run-local}: the streaming job on an embedded mini cluster over files. */
@Command(name = "run-local", mixinStandardHelpOptions = true,
        description = "Run the streaming job on an embedded Flink mini cluster over an image file or a directory; "
                + "writes <image>.json per image and dead-letters.jsonl to --out; a model with dense_heads also writes "
                + "<name>.mask.tif (+ .mask.png), .coco.json, .geojson, .overlay.png and .results.jsonl per image.")
public final class RunLocalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model folder (config.json + weights)")
    Path model;

    @Option(names = "--input", required = true, description = "image file or directory of images")
    Path input;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Option(names = "--backend", defaultValue = "reference", description = "reference, djl or cuda (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--chunk", defaultValue = "64", description = "patches per chunk record (default: ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--bundle", defaultValue = "16", description = "chunks per batched engine call (default: ${DEFAULT-VALUE})")
    int bundle;

    @Option(names = "--tiles", defaultValue = "0", description = "per-tile mode: tiles of N x N patches, no carried state (0 = off)")
    int tiles;

    @Option(names = "--parallelism", defaultValue = "1", description = "scan operator parallelism (default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--batch", description = "BATCH execution mode (as the backfill job runs)")
    boolean batch;

    @Option(names = "--quiet", description = "no per-image progress lines")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        Path cfg = model.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IllegalArgumentException(model + ": no config.json (is this a model folder?)");
        int ps = new ObjectMapper().readTree(cfg.toFile()).path("patch_size").asInt(0);
        if (ps < 1) throw new IllegalArgumentException(cfg + ": no patch_size");
        JobSettings s = JobSettings.defaults(model.toAbsolutePath().toString(), ps).withBackend(backend).withChunk(chunk)
                .withBundle(bundle).withTiles(tiles).withParallelism(parallelism);
        System.out.printf("scanline run-local: model %s, backend %s, %s, chunk %d patches, bundle %d%n", model, backend,
                tiles > 0 ? "per-tile " + tiles + "x" + tiles : "streaming scan", chunk, bundle);
        LocalRun.Summary r = LocalRun.run(s, input, out, batch, !quiet);
        System.out.printf("%d image result(s), %d dead letter(s), %d patch tokens -> %s%n", r.results(), r.deadLetters(), r.tokens(),
                out.toAbsolutePath());
        System.out.printf("end to end: %.3f MP, job %.2f s (%.2f s with mini cluster start) = %.4f MP/s; engine %.2f s, "
                        + "outside the engine %.0f%% of the job%n", r.inputPixels() / 1e6, r.jobSeconds(), r.wallSeconds(),
                r.megapixelsPerSecond(), r.engineSeconds(), 100 * r.shareOutsideEngine());
        System.out.printf("time split: engine %.2f s, scan operator around it %.2f s, read + patchify %.2f s, "
                        + "rest of the job (deploy, open, transfer, sinks) %.2f s%n", r.engineSeconds(),
                r.scanOperatorSeconds() - r.engineSeconds(), r.patchifySeconds(),
                r.jobSeconds() - r.scanOperatorSeconds() - r.patchifySeconds());
        return 0;
    }
}
