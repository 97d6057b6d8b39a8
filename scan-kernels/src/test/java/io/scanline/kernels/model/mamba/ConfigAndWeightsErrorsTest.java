package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.SyntheticImage;
import io.scanline.kernels.model.ModelFamily;
import io.scanline.kernels.model.StreamOptions;
import io.scanline.kernels.model.StreamingModel;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;
import io.scanline.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wrong or missing keys, shape mismatches and unsupported config values name the key and what was expected. */
class ConfigAndWeightsErrorsTest {

    private static WeightsException buildFails(ModelFamily fam, ObjectNode cfg, Consumer<Map<String, Tensor>> edit) {
        Map<String, Tensor> m = RandomWeightsAccess.random(fam, cfg);
        edit.accept(m);
        return assertThrows(WeightsException.class, () -> fam.build(cfg, new Weights("test", m)));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention " + p);
    }

    @Test
    void unsupportedConfigValuesNameTheKey() {
        ObjectNode vim = VimFamily.config(32, 4, 1, 64, 16, 3);
        vim.put("bimamba_type", "v1");
        assertMentions(assertThrows(WeightsException.class, () -> VimConfig.parse(vim)), "bimamba_type", "v1", "v2");

        ObjectNode arm = ArmFamily.config(32, 1, 64, 16, 3);
        arm.put("bimamba_type", "v2");
        assertMentions(assertThrows(WeightsException.class, () -> ArmConfig.parse(arm)), "bimamba_type", "v3");

        ObjectNode df = DefocusMambaFamily.config(32, 64, 8, 2, 1, 16, 3);
        df.put("token_order", "zigzag");
        assertMentions(assertThrows(WeightsException.class, () -> DefocusConfig.parse(df)), "token_order", "zigzag", "tile");

        ObjectNode df2 = DefocusMambaFamily.config(32, 64, 8, 2, 1, 16, 3);
        df2.put("group_norm_size", 0);
        assertMentions(assertThrows(WeightsException.class, () -> DefocusConfig.parse(df2)), "group_norm_size");

        ObjectNode df3 = DefocusMambaFamily.config(32, 64, 8, 2, 1, 16, 3);
        df3.put("depth", "three");
        assertMentions(assertThrows(WeightsException.class, () -> DefocusConfig.parse(df3)), "depth", "integer");

        ObjectNode vim2 = VimFamily.config(32, 4, 1, 64, 16, 3);
        vim2.put("use_middle_cls_token", false);
        assertMentions(assertThrows(WeightsException.class, () -> VimConfig.parse(vim2)), "use_middle_cls_token");
    }

    @Test
    void missingUnexpectedAndMisshapedWeightsNameTheKey() {
        ObjectNode df = DefocusMambaFamily.config(32, 64, 8, 2, 2, 16, 3);
        DefocusMambaFamily fam = new DefocusMambaFamily();
        assertMentions(buildFails(fam, df, m -> m.remove("blocks.1.mixer.freq")), "blocks.1.mixer.freq", "missing", "[8]");
        assertMentions(buildFails(fam, df, m -> m.put("blocks.0.mixer.A_log", Tensor.zeros(64, 16))),
                "blocks.0.mixer.A_log", "[64, 16]", "[64, 8]");
        assertMentions(buildFails(fam, df, m -> m.put("blocks.2.norm.weight", Tensor.zeros(32))), "unexpected", "blocks.2.norm.weight");

        ObjectNode vim = VimFamily.config(32, 4, 1, 64, 16, 3);
        VimFamily vf = new VimFamily();
        assertMentions(buildFails(vf, vim, m -> m.remove("layers.0.mixer.conv1d_b.weight")), "layers.0.mixer.conv1d_b.weight", "[64, 1, 4]");
        assertMentions(buildFails(vf, vim, m -> m.put("pos_embed", Tensor.zeros(1, 10, 32))), "pos_embed", "[1, 17, 32]");

        ObjectNode arm = ArmFamily.config(32, 1, 64, 16, 3);
        ArmFamily af = new ArmFamily();
        assertMentions(buildFails(af, arm, m -> m.remove("layers.0.mixer.A_c_b_log")), "layers.0.mixer.A_c_b_log");
        assertMentions(buildFails(af, arm, m -> m.put("layers.0.mlp.w3.weight", Tensor.zeros(32, 64))), "layers.0.mlp.w3.weight", "[32, 85]");
    }

    @Test
    void armRejectsNonSquareGrids() {
        ArmFamily af = new ArmFamily();
        ObjectNode arm = ArmFamily.config(32, 1, 64, 16, 3);
        StreamingModel m = af.build(arm, af.randomWeights(arm, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(new ReferenceBackend(), new SyntheticImage(1, 48, 64, 1), StreamOptions.defaults()));
        assertMentions(e, "square", "3x4");
    }
}
