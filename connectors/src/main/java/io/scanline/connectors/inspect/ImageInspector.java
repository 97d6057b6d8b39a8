package io.scanline.connectors.inspect;

import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.image.Level;
import io.scanline.connectors.image.LevelKind;
import io.scanline.connectors.image.LevelSelector;
import io.scanline.connectors.image.Region;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.patch.PatchConfig;
import io.scanline.connectors.patch.PatchGrid;
import io.scanline.connectors.patch.Patchifier;
import io.scanline.connectors.patch.TokenChunk;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Describes an image file (format, levels, resolution, georeferencing, token count) or rejects it. */
public final class ImageInspector {
    private ImageInspector() {
    }

    /** Inspection result: report lines, and the tokens streamed when {@code stream} was asked. */
    public record Report(List<String> lines, int level, long tokens, long streamedTokens, double seconds) {
    }

    public static Report inspect(Path file, InspectOptions o) throws IngestException {
        try (ImageSource src = ImageSources.open(file, o.limits())) {
            List<String> out = new ArrayList<>();
            out.add("file: " + file);
            out.add("format: " + src.format());
            int chosen = o.level() != null ? LevelSelector.byIndex(src, o.level())
                    : o.targetMpp() != null ? LevelSelector.byMpp(src, o.targetMpp())
                    : o.downsample() != null ? LevelSelector.byDownsample(src, o.downsample()) : 0;
            List<Level> levels = src.levels();
            out.add("levels: " + levels.size());
            for (int i = 0; i < levels.size(); i++) {
                Level l = levels.get(i);
                String mpp = src.mppLevel0().isPresent()
                        ? String.format(Locale.ROOT, ", %.4f um/px", src.mppLevel0().getAsDouble() * l.downsample()) : "";
                out.add(String.format(Locale.ROOT, "  level %d: %dx%d, %s %dx%d, %s, %d x %d-bit samples, downsample %.3f%s%s",
                        i, l.width(), l.height(), l.tiled() ? "tiles" : "strips", l.tileWidth(), l.tileHeight(), l.compression(),
                        l.samples(), l.bitsPerSample(), l.downsample(), mpp, i == chosen ? "  <- selected" : ""));
            }
            for (Level l : src.images()) {
                if (l.kind() != LevelKind.LEVEL) {
                    out.add(String.format(Locale.ROOT, "  %s (image %d): %dx%d, %s", l.kind().name().toLowerCase(Locale.ROOT),
                            l.imageIndex(), l.width(), l.height(), l.compression()));
                }
            }
            src.appMag().ifPresent(m -> out.add(String.format(Locale.ROOT, "magnification: %.1fx", m)));
            out.add(src.mppLevel0().isPresent()
                    ? String.format(Locale.ROOT, "microns per pixel: %.4f (level 0)", src.mppLevel0().getAsDouble())
                    : "microns per pixel: not stated");
            out.add(src.geoReference().map(g -> "georeferencing: " + g.describe()).orElse("georeferencing: none"));
            PatchConfig pc = o.patch();
            Level sel = levels.get(chosen);
            PatchGrid grid = PatchGrid.of(sel.width(), sel.height(), pc);
            out.add(String.format(Locale.ROOT, "tokens at level %d (patch %d, stride %d, %s order%s, %s): %d x %d = %d",
                    chosen, pc.patchSize(), pc.stride(), pc.order().name().toLowerCase(Locale.ROOT),
                    pc.order() == io.scanline.connectors.patch.TokenOrder.TILE ? " " + pc.tileSize() + "px tiles" : "",
                    pc.padding().name().toLowerCase(Locale.ROOT), grid.rows(), grid.cols(), grid.tokens()));
            if (o.probe() && !o.stream()) {
                src.readRows(chosen, 0, 1);
                src.readRows(chosen, sel.height() - 1, 1);
                out.add("pixels: first and last rows of level " + chosen + " decode");
            }
            long streamed = 0;
            double secs = 0;
            if (o.stream()) {
                long t0 = System.nanoTime();
                Patchifier p = new Patchifier(src, chosen, Region.whole(sel), pc);
                TokenChunk c;
                double checksum = 0;
                while ((c = p.next()) != null) {
                    streamed += c.count();
                    checksum += c.values()[0];
                }
                secs = (System.nanoTime() - t0) / 1e9;
                double mp = sel.pixels() / 1e6;
                out.add(String.format(Locale.ROOT, "streamed %d tokens in chunks of %d: %.1f MP in %.2f s = %.1f MP/s, %.0f tokens/s"
                                + " (max heap %d MiB, peak heap used %d MiB, checksum %.3f)",
                        streamed, pc.chunkTokens(), mp, secs, mp / secs, streamed / secs,
                        Runtime.getRuntime().maxMemory() >> 20, peakHeapBytes() >> 20, checksum));
            }
            return new Report(List.copyOf(out), chosen, grid.tokens(), streamed, secs);
        }
    }

    /** Sum of the peak usage of the heap pools since JVM start (an upper bound of the live peak). */
    public static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
