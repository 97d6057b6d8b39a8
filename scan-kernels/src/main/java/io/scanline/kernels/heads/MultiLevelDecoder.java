package io.scanline.kernels.heads;

import io.scanline.kernels.model.Weights;

import java.util.ArrayList;
import java.util.List;

/**
 * The light multi-level segmentation decoder: each chosen feature level is normalized per token
 * (LayerNorm without affine parameters, so residual streams of different magnitude mix evenly), projected
 * to a small hidden width, the projections are summed, ReLU, then a linear map to sub-cell logits.
 * Still per token: chunk-independent like {@link SegmentationHead}.
 *
 * <p>Glossary: n tokens, D feature width, H hidden width, C classes, s sub-cells per patch side.
 * Keys: {@code <key>.proj.<j>.weight} (H, D) / {@code .bias} (H) per level j, {@code <key>.out.weight}
 * (C*s*s, H) / {@code .bias}.
 */
public final class MultiLevelDecoder implements CellHead {
    private final List<String> levels;
    private final List<Linear> proj;
    private final Linear out;
    private final int classes, subdivision;
    private final double eps;

    MultiLevelDecoder(List<String> levels, List<Linear> proj, Linear out, int classes, int subdivision, double eps) {
        if (levels.isEmpty() || levels.size() != proj.size()) throw new IllegalArgumentException("decoder needs one projection per level");
        if (out.out != classes * subdivision * subdivision) {
            throw new IllegalArgumentException("decoder output width " + out.out + " != classes x subdivision^2");
        }
        this.levels = List.copyOf(levels);
        this.proj = List.copyOf(proj);
        this.out = out;
        this.classes = classes;
        this.subdivision = subdivision;
        this.eps = eps;
    }

    public static MultiLevelDecoder load(Weights w, String key, int d, List<String> levels, int hidden,
                                         int classes, int subdivision, double eps) {
        List<Linear> p = new ArrayList<>();
        for (int j = 0; j < levels.size(); j++) p.add(Linear.load(w, key + ".proj." + j, hidden, d));
        return new MultiLevelDecoder(levels, p, Linear.load(w, key + ".out", classes * subdivision * subdivision, hidden),
                classes, subdivision, eps);
    }

    @Override
    public int classes() { return classes; }

    @Override
    public int subdivision() { return subdivision; }

    @Override
    public List<String> levels() { return levels; }

    @Override
    public float[] cells(TokenLevels in, int n) {
        int h = proj.get(0).out;
        float[] acc = new float[n * h];
        for (int j = 0; j < levels.size(); j++) {
            float[] y = proj.get(j).apply(layerNorm(in.get(levels.get(j)), n, in.width()), n);
            for (int i = 0; i < acc.length; i++) acc[i] += y[i];
        }
        for (int i = 0; i < acc.length; i++) acc[i] = Math.max(acc[i], 0f);
        return out.apply(acc, n);
    }

    private float[] layerNorm(float[] x, int n, int d) {
        float[] y = new float[n * d];
        for (int t = 0; t < n; t++) {
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) mean += x[t * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) {
                double v = x[t * d + i] - mean;
                var += v * v;
            }
            double inv = 1.0 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) y[t * d + i] = (float) ((x[t * d + i] - mean) * inv);
        }
        return y;
    }
}
