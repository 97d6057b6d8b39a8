package io.scanline.connectors.corpus;

import io.scanline.connectors.image.ImageSource;
import io.scanline.connectors.image.ImageSources;
import io.scanline.connectors.image.Level;
import io.scanline.connectors.image.Region;
import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.patch.Padding;
import io.scanline.connectors.patch.PatchConfig;
import io.scanline.connectors.patch.PatchGrid;
import io.scanline.connectors.patch.Patchifier;
import io.scanline.connectors.patch.TokenChunk;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every input file must meet: it opens and every pyramid level patchifies to exactly
 * the grid's token count, with finite values; or it fails with an {@link IngestException}. Any other
 * throwable escapes and fails the calling test.
 */
final class CorpusCheck {
    /** Either a token count per level or the rejection reason. */
    record Outcome(long[] tokensPerLevel, RejectReason reason, String detail) {
        boolean decoded() {
            return reason == null;
        }
    }

    /** 16 px patches, padded so images smaller than one patch still yield a token; odd chunk size on purpose. */
    static final PatchConfig CONFIG = PatchConfig.raster(16, 333).withPadding(Padding.PAD);

    private CorpusCheck() {
    }

    static Outcome check(Path file, IngestLimits limits) {
        try (ImageSource src = ImageSources.open(file, limits)) {
            long[] tokens = new long[src.levels().size()];
            assertTrue(tokens.length >= 1, "a readable file has a level 0");
            for (int lv = 0; lv < tokens.length; lv++) {
                Level l = src.levels().get(lv);
                Patchifier p = new Patchifier(src, lv, Region.whole(l), CONFIG);
                PatchGrid g = PatchGrid.of(l.width(), l.height(), CONFIG);
                long n = 0;
                TokenChunk c;
                boolean sawLast = false;
                while ((c = p.next()) != null) {
                    assertEquals(n, c.firstToken(), file + ": chunks are consecutive");
                    assertEquals(c.count() * CONFIG.tokenFloats(), c.values().length);
                    for (float v : c.values()) {
                        if (!Float.isFinite(v)) {
                            throw new AssertionError(file + ": non-finite token value");
                        }
                    }
                    n += c.count();
                    sawLast = c.last();
                }
                assertTrue(sawLast, file + ": the final chunk is marked last");
                assertEquals(g.tokens(), n, file + " level " + lv + ": token count");
                tokens[lv] = n;
            }
            return new Outcome(tokens, null, null);
        } catch (IngestException e) {
            assertTrue(e.oneLine().startsWith("REJECTED " + e.reason()), "one-line form names the reason");
            return new Outcome(null, e.reason(), e.detail());
        }
    }
}
