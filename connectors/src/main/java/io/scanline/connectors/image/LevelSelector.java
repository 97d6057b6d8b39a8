package io.scanline.connectors.image;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;

import java.util.List;
import java.util.Locale;

/**
 * Picks a pyramid level by index, by target microns per pixel, or by target downsample. For a target
 * resolution it takes the coarsest level that is still at least as fine as asked (1% slack for the
 * rounding of level sizes), so a model never sees pixels coarser than it was configured for; the
 * caller resamples the remainder if it needs an exact scale.
 */
public final class LevelSelector {
    private static final double SLACK = 1.01;

    private LevelSelector() {
    }

    public static int byIndex(ImageSource s, int index) throws IngestException {
        if (index < 0 || index >= s.levels().size()) {
            throw new IngestException(RejectReason.BAD_REQUEST, s.source(), "level " + index + " requested, the file has " + s.levels().size());
        }
        return index;
    }

    public static int byDownsample(ImageSource s, double downsample) throws IngestException {
        if (!(downsample >= 1) || !Double.isFinite(downsample)) {
            throw new IngestException(RejectReason.BAD_REQUEST, s.source(), "downsample must be >= 1, got " + downsample);
        }
        List<Level> ls = s.levels();
        int best = 0;
        for (int i = 0; i < ls.size(); i++) {
            if (ls.get(i).downsample() <= downsample * SLACK && ls.get(i).downsample() > ls.get(best).downsample()) {
                best = i;
            }
        }
        return best;
    }

    public static int byMpp(ImageSource s, double targetMpp) throws IngestException {
        if (s.mppLevel0().isEmpty()) {
            throw new IngestException(RejectReason.BAD_REQUEST, s.source(), "a target of " + targetMpp
                    + " um/px was requested but the file states no microns per pixel");
        }
        double mpp0 = s.mppLevel0().getAsDouble();
        if (!(targetMpp > 0) || !Double.isFinite(targetMpp)) {
            throw new IngestException(RejectReason.BAD_REQUEST, s.source(), "target mpp must be positive, got " + targetMpp);
        }
        if (targetMpp * SLACK < mpp0) {
            throw new IngestException(RejectReason.BAD_REQUEST, s.source(), String.format(Locale.ROOT,
                    "target %.4f um/px is finer than level 0 (%.4f um/px)", targetMpp, mpp0));
        }
        return byDownsample(s, targetMpp / mpp0);
    }
}
