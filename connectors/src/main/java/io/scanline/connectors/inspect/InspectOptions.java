package io.scanline.connectors.inspect;

import io.scanline.connectors.ingest.IngestLimits;
import io.scanline.connectors.patch.PatchConfig;

/**
 * What {@link ImageInspector} reads and counts.
 *
 * @param patch      how tokens are formed (the token count is reported for it)
 * @param level      pyramid level index, or null to pick by {@code targetMpp}/{@code downsample} (default 0)
 * @param targetMpp  target microns per pixel, or null
 * @param downsample target downsample, or null
 * @param probe      decode the first and last rows of the chosen level to prove the pixels are readable
 * @param stream     patchify the whole level and report throughput (a benchmark, not a check)
 */
public record InspectOptions(PatchConfig patch, Integer level, Double targetMpp, Double downsample,
                             boolean probe, boolean stream, IngestLimits limits) {
    public static InspectOptions defaults() {
        return new InspectOptions(PatchConfig.raster(16, 4096), null, null, null, true, false, IngestLimits.defaults());
    }
}
