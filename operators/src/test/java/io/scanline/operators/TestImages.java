package io.scanline.operators;

import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ImageSource;
import io.scanline.kernels.stream.Patches;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Chunk records of the De-focus golden case's two 64×64 images (4×4 patches of 16). */
final class TestImages {
    static final Path MODEL = Path.of(System.getProperty("scanline.shared", "../shared"), "golden", "defocus_mamba_d3_64x64");
    static final int PS = 16, M = 16;
    private static GoldenCase golden;

    static synchronized GoldenCase golden() {
        if (golden == null) {
            try {
                golden = GoldenCase.load(MODEL);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return golden;
    }

    static float[] goldenLogits(int b) {
        return golden().tensor("output.logits").toF32().batch(b).f32();
    }

    /** Image b of the golden input as chunks of the given lengths (must sum to 16). */
    static List<ChunkRecord> chunks(String id, int b, int... lengths) {
        ImageSource img = ImageSource.of(golden().tensor("input.image").toF32().batch(b));
        List<ChunkRecord> out = new ArrayList<>();
        int t = 0;
        for (int i = 0; i < lengths.length; i++) {
            float[] px = Patches.range(img, PS, t, t + lengths[i]).f32();
            out.add(new ChunkRecord(id, i, 4, 4, PS, px, i == lengths.length - 1));
            t += lengths[i];
        }
        if (t != M) throw new IllegalArgumentException("lengths sum to " + t);
        return out;
    }

    static EngineSpec spec() {
        return EngineSpec.of(MODEL.toString(), "reference");
    }
}
