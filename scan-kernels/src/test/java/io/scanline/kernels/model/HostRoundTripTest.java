package io.scanline.kernels.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.SyntheticImage;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #4's "a whole pass of a model stays on the GPU with no host round trip per layer", checked on
 * the host: each family runs chunked on a backend whose op outputs are deferred like a device
 * backend's, at two depths; the host reads of op outputs must not grow with depth (the per-chunk
 * outputs, read once per chunk whatever the depth, are allowed). ARM needs a square grid: 4×4 patches.
 */
class HostRoundTripTest {

    @ParameterizedTest
    @ValueSource(strings = {"adventurer", "vil2", "vil1", "vim", "arm", "defocus_mamba"})
    void hostReadsDoNotGrowWithDepth(String family) {
        HostReadsBackend shallow = run(family, 2), deep = run(family, 4);
        assertTrue(shallow.hostReads.get() > 0, family + ": the outputs are read on the host at least once");
        assertEquals(shallow.hostReads.get(), deep.hostReads.get(), family
                + ": host reads of op outputs at depth 2 vs 4 (a round trip per layer); where, at depth 4: " + deep.readSites);
    }

    /**
     * A device backend frees op outputs when their scope closes or when model code releases them; what is
     * left is found by the garbage collector, and on a GPU each collection is requested explicitly and pauses
     * the pass (120 requests in one ViL 16384² run before the passes freed their rows). So the outputs left to
     * the collector must not grow with the image: only the per-image results (pooled tokens, logits) remain.
     * (Fails for ViL when its passes do not release their window rows, which outlive their chunk.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"adventurer", "vil2", "vil1", "vim", "arm", "defocus_mamba"})
    void outputsLeftToTheCollectorDoNotGrowWithTheImage(String family) {
        Map<String, Long> small = leftovers(family, 64), big = leftovers(family, 128);
        assertEquals(small, big, family + ": floats left to the collector per creating line, 64² vs 128²");
    }

    private static Map<String, Long> leftovers(String family, int size) {
        StreamingModel m = model(family, 2);
        HostReadsBackend counting = new HostReadsBackend();
        m.forward(counting.backend(), new SyntheticImage(1, size, size, 3), StreamOptions.defaults().withChunk(32));
        return counting.leftToCollector();
    }

    /**
     * A token sink may keep the rows it is handed and read them after the forward: the releases above must
     * spare them. Compared with the reference backend's sink, exactly. (Without layer outputs: keeping those
     * reads every chunk on the host at once, which would hide a release.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"adventurer", "vil2", "vil1", "vim", "arm", "defocus_mamba"})
    void tokenSinksMayKeepWhatTheyGet(String family) {
        StreamingModel m = model(family, 2);
        SyntheticImage img = new SyntheticImage(1, 64, 64, 3);
        Map<String, Tensor> kept = new TreeMap<>(), want = new TreeMap<>();
        StreamOptions o = StreamOptions.defaults().withChunk(7);
        ModelOutput got = m.forward(new HostReadsBackend().backend(), img, o.withTokenSink((k, t0, rows) -> kept.put(k + "@" + t0, rows)));
        ModelOutput ref = m.forward(new ReferenceBackend(), img, o.withTokenSink((k, t0, rows) -> want.put(k + "@" + t0, rows)));
        assertEquals(want.keySet(), kept.keySet(), family + ": the chunks the sink saw");
        for (String k : want.keySet()) {
            assertArrayEquals(want.get(k).f32(), kept.get(k).f32(), family + " " + k + ": read after the forward");
        }
        assertEquals(ref.tensors().keySet(), got.tensors().keySet(), family + ": result keys");
        for (String k : ref.tensors().keySet()) {
            assertArrayEquals(ref.get(k).f32(), got.get(k).f32(), family + " " + k);
        }
    }

    /** The counting backend itself: its scopes free what they made unless kept, as cuda's do; so does release. */
    @Test
    void scopesFreeWhatTheyMadeUnlessKept() {
        Backend be = new HostReadsBackend().backend();
        Tensor x = Tensor.of(new float[] {1, -2, 3}, 1, 1, 3), kept, lost;
        try (OpScope scope = be.opScope()) {
            lost = be.silu(x);
            kept = scope.keep(be.silu(lost));
        }
        assertEquals(3, kept.f32().length);
        assertThrows(IllegalStateException.class, () -> be.silu(lost));
        assertThrows(IllegalStateException.class, lost::f32);
        Tensor done = be.silu(kept);
        be.release(done, null);
        assertThrows(IllegalStateException.class, done::f32);
    }

    /** The family at its bench config with {@code depth} layers, random weights (seed 5). */
    private static StreamingModel model(String family, int depth) {
        ModelFamily fam = ModelFamilies.get(family);
        RandomModels rm = (RandomModels) fam;
        ObjectNode cfg = ((ObjectNode) rm.benchConfig()).deepCopy();
        cfg.put("depth", depth);
        return fam.build(cfg, rm.randomWeights(cfg, 5));
    }

    private static HostReadsBackend run(String family, int depth) {
        StreamingModel m = model(family, depth);
        HostReadsBackend counting = new HostReadsBackend();
        SyntheticImage img = new SyntheticImage(2, 64, 64, 3);
        ModelOutput out = m.forward(counting.backend(), img, StreamOptions.defaults().withChunk(5));
        ModelOutput plain = m.forward(new ReferenceBackend(), img, StreamOptions.defaults().withChunk(5));
        FamilyGoldenSupport.assertSameOutputs(plain, out, 0.0, family + " depth " + depth + ": deferred outputs change nothing");
        return counting;
    }
}
