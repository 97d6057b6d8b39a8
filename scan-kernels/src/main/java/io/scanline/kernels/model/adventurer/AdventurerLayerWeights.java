package io.scanline.kernels.model.adventurer;

import io.scanline.kernels.model.Weights;
import io.scanline.kernels.tensor.Tensor;

/**
 * Weights of one Adventurer layer (spec models §5.3): pre-norms, the Mamba-2 mixer (ops §9.3) and
 * the SwiGLU MLP (ops §6). A = −exp(A_log) is formed once at load.
 *
 * <p>Glossary: D width, E = expand·D inner width, N state size, H = E/P heads of P, K conv width,
 * C = E + 2N conv channels, F SwiGLU width.
 */
record AdventurerLayerWeights(
        Tensor norm, Tensor normMlp,          // (D), (D)
        Tensor inProj,                        // (2E + 2N + H, D): [z | x B C | dt]
        Tensor convW, Tensor convB,           // (C, K), (C)
        Tensor dtBias, Tensor a, Tensor d,    // (H) each
        Tensor gateNorm,                      // (E)
        Tensor outProj,                       // (D, E)
        Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor w3, Tensor b3) {   // (F, D) (F), (F, D) (F), (D, F) (D)

    static AdventurerLayerWeights load(Weights w, int n, AdventurerFamily.Dims s) {
        String p = "layers." + n + ".", mx = p + "mixer.", mlp = p + "mlp.";
        int c = s.e() + 2 * s.n();
        Tensor aLog = w.get(mx + "A_log", s.h());
        float[] a = new float[s.h()];
        for (int i = 0; i < a.length; i++) a[i] = (float) -Math.exp(aLog.f32()[i]);
        return new AdventurerLayerWeights(
                w.get(p + "norm.weight", s.d()), w.get(p + "norm_mlp.weight", s.d()),
                w.get(mx + "in_proj.weight", 2 * s.e() + 2 * s.n() + s.h(), s.d()),
                w.get(mx + "conv1d.weight", c, 1, s.k()).reshape(c, s.k()), w.get(mx + "conv1d.bias", c),
                w.get(mx + "dt_bias", s.h()), Tensor.of(a, s.h()), w.get(mx + "D", s.h()),
                w.get(mx + "norm.weight", s.e()),
                w.get(mx + "out_proj.weight", s.d(), s.e()),
                w.get(mlp + "w1.weight", s.f(), s.d()), w.get(mlp + "w1.bias", s.f()),
                w.get(mlp + "w2.weight", s.f(), s.d()), w.get(mlp + "w2.bias", s.f()),
                w.get(mlp + "w3.weight", s.d(), s.f()), w.get(mlp + "w3.bias", s.d()));
    }
}
