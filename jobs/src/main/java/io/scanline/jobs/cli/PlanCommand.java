package io.scanline.jobs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.model.ChunkEmbedder;
import io.scanline.kernels.model.ModelFamilies;
import io.scanline.kernels.model.Plan;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Prints a model's streaming plan for one image size and what it costs per image: carried state and
 * the barrier store, split into memory and spill-to-disk the way the store splits it under a budget.
 * Glossary: H × W pixels, ps patch size, st stride, Hp × Wp patch grid, L sequence tokens.
 */
@Command(name = "plan", exitCodeOnInvalidInput = 64, description = {
        "Print a model folder's streaming plan (passes, barriers) for an image size, with carried-state bytes",
        "per image and barrier-store bytes (memory vs spilled to disk under --spill-memory)."})
final class PlanCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "folder with config.json and weights.safetensors")
    Path model;

    @Option(names = "--size", required = true, paramLabel = "HxW", description = "image size in pixels, e.g. 1024x768")
    String size;

    @Option(names = "--spill-memory", paramLabel = "BYTES", description = "store bytes kept in memory before spilling (default: the stream default, 512 MiB)")
    Long spillMemory;

    @Override
    public Integer call() throws Exception {
        int[] hw = parseSize(size);
        Path cfgFile = model.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw new IllegalArgumentException("no config.json in " + model);
        JsonNode cfg = new ObjectMapper().readTree(cfgFile.toFile());
        String family = cfg.path("family").asText("");
        StreamingModel m = ModelFamilies.get(family).build(cfg, Weights.load(model, cfg));
        int ps = cfg.path("patch_size").asInt(0), stride = cfg.path("stride").asInt(ps);
        if (ps < 1) throw new IllegalArgumentException("config.json has no patch_size");
        ChunkEmbedder.Grid g = ChunkEmbedder.Grid.of(hw[0], hw[1], ps, stride);
        long budget = spillMemory == null ? StreamOptions.DEFAULT_SPILL_MEMORY : spillMemory;
        if (budget < 0) throw new IllegalArgumentException("--spill-memory must be >= 0, got " + budget);
        print(System.out, m.plan(g.hp(), g.wp()), hw, g, m.sequenceLength(g.hp(), g.wp()), budget);
        return 0;
    }

    static void print(PrintStream out, Plan plan, int[] hw, ChunkEmbedder.Grid g, long tokens, long budget) {
        out.print(plan.describe());
        long state = 4L * plan.carriedStateFloatsPerImage();
        // a store holds every token of the residual stream (fp32) at a barrier; without barriers there is none
        long store = plan.barriers() == 0 ? 0 : 4L * plan.storeFloatsPerToken() * tokens;
        long mem = Math.min(store, budget), disk = store - mem;
        out.printf("image %dx%d px: grid %dx%d patches, %d tokens%n", hw[0], hw[1], g.hp(), g.wp(), tokens);
        out.printf("carried state: %d bytes/image%n", state);
        out.printf("barrier store: %d bytes/image (memory %d, spilled to disk %d; --spill-memory %d)%n", store, mem, disk, budget);
    }

    static int[] parseSize(String s) {
        String[] p = s.toLowerCase().split("x");
        try {
            if (p.length == 2) {
                int h = Integer.parseInt(p[0].trim()), w = Integer.parseInt(p[1].trim());
                if (h > 0 && w > 0) return new int[] {h, w};
            }
        } catch (NumberFormatException ignored) {
            // falls through to the error below
        }
        throw new IllegalArgumentException("--size must be HxW with positive integers, got '" + s + "'");
    }
}
