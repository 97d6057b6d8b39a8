package io.scanline.jobs.flink;

import java.io.Serializable;

/**
 * Settings shared by every job mode (Flink-style keys in {@code config.yaml} / CLI flags).
 *
 * @param modelDir        model folder (config.json + weights)
 * @param backend         {@code reference}, {@code djl} or {@code cuda}
 * @param patchSize       ps of the model (checked against the model at operator open)
 * @param chunkPatches    S, patches per chunk record (records stay well under Kafka's 1 MiB at S·3·ps²·4 bytes)
 * @param tilePatches     0 = whole-image streaming scan; T &gt; 0 = per-tile mode, tiles of T×T patches, no carried state between tiles
 * @param maxBundleChunks flush the scan operator's bundle at this many chunks
 * @param maxBundleBytes  ... or at this many buffered bytes
 * @param emitPatches     also send per-chunk PATCHES events to the results sink
 * @param parallelism     scan operator parallelism
 */
public record JobSettings(String modelDir, String backend, int patchSize, int chunkPatches, int tilePatches,
                          int maxBundleChunks, long maxBundleBytes, boolean emitPatches, int parallelism) implements Serializable {
    public JobSettings {
        if (chunkPatches < 1) throw new IllegalArgumentException("chunk length must be >= 1 patch, got " + chunkPatches);
        if (chunkPatches * 3L * patchSize * patchSize * 4 > 900_000) {
            throw new IllegalArgumentException("chunks of " + chunkPatches + " patches exceed 900 kB per record (Kafka's limit is ~1 MiB)");
        }
        if (maxBundleChunks < 1 || maxBundleBytes < 1 || parallelism < 1) throw new IllegalArgumentException("bundle limits and parallelism must be positive");
    }

    public static JobSettings defaults(String modelDir, int patchSize) {
        return new JobSettings(modelDir, "reference", patchSize, 64, 0, 16, 32L << 20, true, 1);
    }

    public JobSettings withBackend(String b) {
        return new JobSettings(modelDir, b, patchSize, chunkPatches, tilePatches, maxBundleChunks, maxBundleBytes, emitPatches, parallelism);
    }

    public JobSettings withChunk(int s) {
        return new JobSettings(modelDir, backend, patchSize, s, tilePatches, maxBundleChunks, maxBundleBytes, emitPatches, parallelism);
    }

    public JobSettings withTiles(int t) {
        return new JobSettings(modelDir, backend, patchSize, chunkPatches, t, maxBundleChunks, maxBundleBytes, emitPatches, parallelism);
    }

    public JobSettings withBundle(int chunks) {
        return new JobSettings(modelDir, backend, patchSize, chunkPatches, tilePatches, chunks, maxBundleBytes, emitPatches, parallelism);
    }

    public JobSettings withEmitPatches(boolean e) {
        return new JobSettings(modelDir, backend, patchSize, chunkPatches, tilePatches, maxBundleChunks, maxBundleBytes, e, parallelism);
    }

    public JobSettings withParallelism(int p) {
        return new JobSettings(modelDir, backend, patchSize, chunkPatches, tilePatches, maxBundleChunks, maxBundleBytes, emitPatches, p);
    }
}
