package io.scanline.jobs.cli;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.inspect.ImageInspector;
import io.scanline.connectors.inspect.InspectOptions;
import io.scanline.connectors.patch.Padding;
import io.scanline.connectors.patch.PatchConfig;
import io.scanline.connectors.patch.TokenOrder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

@Command(name = "inspect", exitCodeOnInvalidInput = 64,
        description = {"Describe an image file: format, levels (size, tile size, compression), microns per pixel or",
                "georeferencing, and the token count for a patch size. Exit 0 if readable, 2 if rejected (one line",
                "with the typed reason), 64 on bad options."})
final class InspectCommand implements Callable<Integer> {
    /** Decoders log recoverable oddities with stack traces; the reason line is the only output wanted. */
    private static final Logger DECODER_LOG = Logger.getLogger("com.twelvemonkeys");

    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Option(names = "--patch", defaultValue = "16", description = "patch size in pixels (default ${DEFAULT-VALUE})")
    int patch;

    @Option(names = "--stride", description = "patch stride in pixels (default: the patch size)")
    Integer stride;

    @Option(names = "--order", defaultValue = "RASTER", description = "token order: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    TokenOrder order;

    @Option(names = "--tile-size", defaultValue = "224", description = "tile edge for --order TILE (default ${DEFAULT-VALUE})")
    int tileSize;

    @Option(names = "--padding", defaultValue = "CROP", description = "edge policy for raster order: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    Padding padding;

    @Option(names = "--level", description = "pyramid level index")
    Integer level;

    @Option(names = "--mpp", description = "pick the coarsest level at least this fine (microns per pixel)")
    Double mpp;

    @Option(names = "--downsample", description = "pick the coarsest level with at most this downsample")
    Double downsample;

    @Option(names = "--chunk", defaultValue = "4096", description = "tokens per chunk for --stream (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--stream", description = "patchify the whole selected level and print MP/s (benchmark)")
    boolean stream;

    @Option(names = "--no-probe", description = "do not decode any pixels (header checks only)")
    boolean noProbe;

    @Option(names = "--max-pixels", description = "limit: pixels per level")
    Long maxPixels;

    @Option(names = "--max-dimension", description = "limit: pixels per side")
    Integer maxDimension;

    @Option(names = "--decode-timeout-ms", description = "limit: milliseconds per decoded band")
    Long decodeTimeoutMs;

    @Override
    public Integer call() {
        DECODER_LOG.setLevel(Level.OFF);
        try {
            IngestLimits limits = IngestLimits.defaults();
            if (maxPixels != null) {
                limits = limits.withMaxPixelsPerLevel(maxPixels);
            }
            if (maxDimension != null) {
                limits = limits.withMaxDimension(maxDimension);
            }
            if (decodeTimeoutMs != null) {
                limits = limits.withDecodeTimeout(Duration.ofMillis(decodeTimeoutMs));
            }
            int s = stride == null ? patch : stride;
            PatchConfig pc = new PatchConfig(patch, s, chunk, order, tileSize, order == TokenOrder.TILE ? Padding.PAD : padding,
                    PatchConfig.IMAGENET_MEAN, PatchConfig.IMAGENET_STD);
            int levelOptions = (level != null ? 1 : 0) + (mpp != null ? 1 : 0) + (downsample != null ? 1 : 0);
            if (levelOptions > 1) {
                System.err.println("inspect: use at most one of --level, --mpp, --downsample");
                return 64;
            }
            ImageInspector.Report r = ImageInspector.inspect(file, new InspectOptions(pc, level, mpp, downsample, !noProbe, stream, limits));
            r.lines().forEach(System.out::println);
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("inspect: " + e.getMessage());
            return 64;
        } catch (IngestException e) {
            System.out.println(e.oneLine());
            return 2;
        } catch (Throwable t) {
            // Never a stack trace: an unexpected failure is still a rejection with a reason.
            System.out.println(new IngestException(RejectReason.DECODE_FAILED, String.valueOf(file),
                    "unexpected " + t.getClass().getSimpleName() + ": " + t.getMessage()).oneLine());
            return 2;
        }
    }
}
