package io.scanline.kernels.model.mamba;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Random weights at official key names and shapes for benchmarks and memory tests, scaled like the
 * official initializers so activations stay O(1) through a few blocks (Linear ~ N(0, 1/in),
 * A_log = log(1..N), dt bias = softplus⁻¹ of a small step, norms ≈ 1).
 *
 * <p>Glossary: D width, E inner width, N state size, R dt rank, K conv width.
 */
final class RandomWeights {
    static final ObjectMapper JSON = new ObjectMapper();

    private final RandomTensors rnd;
    private final Map<String, Tensor> map = new LinkedHashMap<>();

    RandomWeights(long seed) {
        this.rnd = new RandomTensors(seed);
    }

    RandomWeights put(String key, Tensor t) {
        map.put(key, t);
        return this;
    }

    Tensor normal(double std, int... shape) {
        return rnd.normal(0, std, shape);
    }

    Tensor around1(int n) {
        return rnd.normal(1, 0.02, n);
    }

    RandomWeights linear(String key, int out, int in) {
        return put(key, rnd.normal(0, 1 / Math.sqrt(in), out, in));
    }

    RandomWeights patchEmbed(int d, int ps) {
        return linearLike("patch_embed.proj.weight", d, 3 * ps * ps, d, 3, ps, ps).put("patch_embed.proj.bias", normal(0.02, d));
    }

    private RandomWeights linearLike(String key, int out, int in, int... shape) {
        return put(key, rnd.normal(0, 1 / Math.sqrt(in), shape));
    }

    /** One Mamba-1 direction's keys under prefix with suffix sfx (ops §8.2). */
    RandomWeights mamba1(String prefix, String sfx, int e, int n, int r, int k) {
        linearLike(prefix + "conv1d" + sfx + ".weight", e, k, e, 1, k);
        put(prefix + "conv1d" + sfx + ".bias", normal(0.02, e));
        linear(prefix + "x_proj" + sfx + ".weight", r + 2 * n, e);
        put(prefix + "dt_proj" + sfx + ".weight", rnd.uniform(-1 / Math.sqrt(r), 1 / Math.sqrt(r), e, r));
        float[] db = new float[e];
        for (int i = 0; i < e; i++) {
            double dt = Math.exp(Math.log(1e-3) + (Math.log(1e-1) - Math.log(1e-3)) * (i + 0.5) / e);
            db[i] = (float) (dt + Math.log(-Math.expm1(-dt)));   // softplus⁻¹(dt)
        }
        put(prefix + "dt_proj" + sfx + ".bias", Tensor.of(db, e));
        float[] al = new float[e * n];
        for (int i = 0; i < al.length; i++) al[i] = (float) Math.log(i % n + 1);
        put(prefix + "A" + sfx + "_log", Tensor.of(al, e, n));
        return put(prefix + "D" + sfx, around1(e));
    }

    /** De-focus's learned RoPE frequencies at their training initialization (ops §11). */
    Tensor ropeFreq(int n) {
        float[] f = new float[n];
        for (int j = 0; j < n; j++) f[j] = (float) ((Math.pow(100, -(j + 1.0) / n) - 0.01) / 0.99);
        return Tensor.of(f, n);
    }

    Map<String, Tensor> map() {
        return map;
    }
}
