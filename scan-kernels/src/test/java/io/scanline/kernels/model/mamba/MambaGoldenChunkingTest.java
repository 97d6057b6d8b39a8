package io.scanline.kernels.model.mamba;

import io.scanline.kernels.golden.GoldenCase;
import io.scanline.kernels.model.ModelOutput;
import io.scanline.kernels.model.StreamingModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Every golden case of defocus_mamba, vim and arm at the chunkings of spec streaming §2: 1, 7, 64,
 * Wp−1, Wp, Wp+1, whole, plus chunk lengths that cut right before and right after the class slot
 * (c for Vim/ARM gives chunks [0, c), [c, 2c): a cut before the class token; c + 1 a cut after it;
 * M for De-focus: the class token alone in the last chunk). Each run is compared with the golden
 * outputs and with the whole-sequence run of the same backend. Chunking applies inside every pass,
 * forward and reverse (Vim/ARM reverse sweeps take chunks from the end).
 */
class MambaGoldenChunkingTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                // name, Wp, class slot, M, extra chunkings (the 224 cases are slower: a reduced set)
                Arguments.of("defocus_mamba_d3_64x64", 4, 16, 16, true),
                Arguments.of("defocus_mamba_d3_224x224", 14, 196, 196, false),
                Arguments.of("defocus_mamba_d3_224x224_rope20_delta4.57", 14, 196, 196, false),
                Arguments.of("vim_d2_64x64", 4, 8, 16, true),
                Arguments.of("vim_d2_224x224", 14, 98, 196, false),
                Arguments.of("arm_d2_64x64", 4, 8, 16, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void goldenAtEveryChunking(String name, int wp, int cls, int m, boolean full) throws Exception {
        GoldenCase g = GoldenFixture.load(name);
        StreamingModel model = GoldenFixture.model(g);
        ModelOutput whole = GoldenFixture.run(model, g, GoldenFixture.opts(0));
        GoldenFixture.assertMatchesGolden(g, whole, name + " whole");

        TreeSet<Integer> chunks = new TreeSet<>(List.of(7, wp, cls + 1));
        if (cls != m) chunks.add(cls);
        if (full) chunks.addAll(List.of(1, 64, wp - 1, wp + 1, m));
        else chunks.add(m);
        List<String> ran = new ArrayList<>();
        for (int chunk : chunks) {
            if (chunk <= 0) continue;
            ModelOutput out = GoldenFixture.run(model, g, GoldenFixture.opts(chunk));
            GoldenFixture.assertMatchesGolden(g, out, name + " chunk " + chunk);
            GoldenFixture.assertSame(whole.tensors(), out, GoldenFixture.CHUNK_TOL, name + " chunk " + chunk + " vs whole");
            ran.add(Integer.toString(chunk));
        }
        org.junit.jupiter.api.Assertions.assertTrue(ran.size() >= 3, "too few chunkings ran: " + ran);
    }
}
