package io.scanline.connectors.corpus;

import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.image.Region;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.inspect.ImageInspector;
import io.scanline.connectors.patch.PatchConfig;
import io.scanline.connectors.patch.Patchifier;
import io.scanline.connectors.patch.TokenChunk;

import java.nio.file.Path;

/** Streams every level-0 token of a file and prints {@code tokens=N peakHeapMiB=M}; run in a JVM with a small heap. */
public final class GigapixelStreamMain {
    private GigapixelStreamMain() {
    }

    public static void main(String[] args) throws Exception {
        try (ImageSource s = ImageSources.open(Path.of(args[0]), IngestLimits.defaults())) {
            Patchifier p = new Patchifier(s, 0, Region.whole(s.levels().get(0)), PatchConfig.raster(16, 4096));
            long n = 0;
            TokenChunk c;
            while ((c = p.next()) != null) {
                n += c.count();
            }
            System.out.println("tokens=" + n + " peakHeapMiB=" + (ImageInspector.peakHeapBytes() >> 20)
                    + " maxHeapMiB=" + (Runtime.getRuntime().maxMemory() >> 20));
        }
    }
}
