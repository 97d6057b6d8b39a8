package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.bench.RandomTensors;
import io.scanline.kernels.golden.Comparison;
import io.scanline.kernels.tensor.Bf16;
import io.scanline.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The opt-in bf16 mode ({@link Precision#BF16}) of the cuda backend against the reference backend, on
 * seeded random inputs with awkward M/N/K (1, not multiples of 16, both sides of the 128×128×32 tile
 * and of the K % 8 vector-load condition).
 *
 * <p>Glossary: M rows (tokens), K input width, N output width.
 *
 * <p>Two comparisons per GEMM, each with its own tolerance (max|out − ref| / max|ref|, spec ops §2):
 * <ul>
 *   <li>against the reference on bf16-rounded inputs and weights ({@link Bf16#round}): 2e-5. A product of
 *       two bf16 values is exact in fp32, so only the fp32 summation order differs (as in the fp32
 *       path, whose tolerance is 1e-5); this proves the kernel computes exactly the bf16 GEMM.</li>
 *   <li>against the fp32 reference on the original inputs: 1e-2. Each operand carries a relative
 *       rounding error of at most 2^-9 ≈ 2e-3, so every product is off by at most ≈ 4e-3 relative;
 *       summed with random signs the error relative to max|y| stays well below 1e-2.</li>
 * </ul>
 * Plus: a chain (linear → linear, resident in between) at the same 1e-2; an op other than linear
 * (rmsNorm) at the fp32 tolerance 1e-5, because bf16 mode changes linear only; and the bf16 weight
 * copy is made once per weight (a second call uploads nothing).
 */
public final class CudaBf16Conformance {
    static final double EXACT_INPUT_TOL = 2e-5;
    static final double BF16_TOL = 1e-2;

    private final CudaBackend bf16;
    private final Backend ref;
    private final RandomTensors r;
    private final List<Comparison> out = new ArrayList<>();

    public CudaBf16Conformance(CudaBackend bf16, Backend ref, long seed) {
        if (bf16.precision() != Precision.BF16) throw new IllegalArgumentException("backend under test must be in bf16 mode");
        this.bf16 = bf16;
        this.ref = ref;
        this.r = new RandomTensors(seed);
    }

    public List<Comparison> runAll() {
        int[][] shapes = {{1, 5, 1}, {1, 8, 3}, {67, 64, 63}, {130, 193, 65}, {64, 16, 64}, {3, 17, 130}, {129, 40, 129},
                {257, 136, 255}, {128, 128, 128}, {300, 768, 200}, {33, 1536, 17}, {500, 31, 385}};
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            Tensor x = r.normal(0, 1, 1, m, k), w = r.normal(0, 1.0 / Math.sqrt(k), n, k), b = r.normal(0, 1, n);
            String tag = String.format("bf16 linear M%d K%d N%d", m, k, n);
            Tensor y = bf16.linear(x, w, b), yn = bf16.linear(x, w, null);
            Tensor xr = Bf16.round(x), wr = Bf16.round(w);
            out.add(Comparison.relative(tag + " vs bf16-input reference", y, ref.linear(xr, wr, b), EXACT_INPUT_TOL));
            out.add(Comparison.relative(tag + " nobias vs bf16-input reference", yn, ref.linear(xr, wr, null), EXACT_INPUT_TOL));
            out.add(Comparison.relative(tag + " vs fp32 reference", y, ref.linear(x, w, b), BF16_TOL));
        }
        Tensor x = r.normal(0, 1, 2, 45, 96), w1 = r.normal(0, 0.1, 200, 96), w2 = r.normal(0, 0.07, 96, 200);
        long before = bf16.weightUploads();
        Tensor y = bf16.linear(bf16.linear(x, w1, null), w2, null);
        boolean once = bf16.weightUploads() == before + 2;
        bf16.linear(bf16.linear(x, w1, null), w2, null);
        once &= bf16.weightUploads() == before + 2;
        out.add(Comparison.relative("bf16 chain linear-linear vs fp32 reference", y, ref.linear(ref.linear(x, w1, null), w2, null), BF16_TOL));
        out.add(new Comparison("bf16 weight copies made once", once ? 0 : Double.NaN, once ? 0 : Double.NaN, 0, once,
                once ? "" : "uploads went from " + before + " to " + bf16.weightUploads()));
        Tensor g = r.normal(1, 0.2, 96);
        out.add(Comparison.relative("bf16 mode: rmsNorm stays fp32", bf16.rmsNorm(x, g, 1e-6), ref.rmsNorm(x, g, 1e-6), CudaConformance.TOL));
        return out;
    }
}
