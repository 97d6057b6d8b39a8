package io.scanline.kernels.model.vil;

import io.scanline.kernels.model.ConfigValues;
import io.scanline.kernels.model.PositionTable;
import io.scanline.kernels.model.Weights;
import io.scanline.kernels.model.WeightsException;
import io.scanline.kernels.tensor.Tensor;

/**
 * Config and weight pieces shared by both ViL versions: patch size, the learned 2D positional table
 * (any training grid; resized to the image grid by D4), the head size.
 *
 * <p>Glossary: D width, ps patch size, (Hp0, Wp0) training grid of the table.
 */
final class ViLConfig {
    private ViLConfig() {}

    static int patchSize(ConfigValues cv) {
        if (cv.present("patch_size") && cv.node().get("patch_size").isArray()) {
            int[] p = cv.intList("patch_size");
            if (p.length != 2 || p[0] != p[1] || p[0] <= 0) {
                throw new WeightsException("config key 'patch_size': only square patches are supported, got " + java.util.Arrays.toString(p));
            }
            return p[0];
        }
        return cv.positive("patch_size", 16);
    }

    static void checkInputShape(ConfigValues cv) {
        int[] in = cv.intList("input_shape");
        if (in != null && (in.length != 3 || in[0] != 3)) {
            throw new WeightsException("config key 'input_shape': expected [3, H, W], got " + java.util.Arrays.toString(in));
        }
    }

    /** Number of classes from output_shape (classifier mode). */
    static int classes(ConfigValues cv) {
        int[] os = cv.intList("output_shape");
        if (os == null) return 1000;
        if (os.length != 1 || os[0] <= 0) {
            throw new WeightsException("config key 'output_shape': a classifier needs [classes], got " + java.util.Arrays.toString(os));
        }
        return os[0];
    }

    /** pos_embed.embed of any training grid: (1, Hp0, Wp0, D). */
    static PositionTable positions(Weights w, int d) {
        String key = "pos_embed.embed";
        int[] s = w.shapeOf(key);
        if (s.length != 4 || s[0] != 1 || s[1] <= 0 || s[2] <= 0 || s[3] != d) {
            throw new WeightsException("key '" + key + "' has shape " + java.util.Arrays.toString(s) + ", expected [1, Hp0, Wp0, " + d + "]");
        }
        Tensor t = w.get(key, s);
        return PositionTable.fromGrid(t);
    }
}
