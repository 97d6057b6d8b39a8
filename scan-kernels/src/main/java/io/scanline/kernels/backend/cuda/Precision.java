package io.scanline.kernels.backend.cuda;

import java.util.Locale;

/**
 * Compute precision of the cuda backend's matrix products (decision D2 of the model spec).
 * FP32: the default, fp32 accuracy everywhere (tensor cores only as 3xTF32 products, which keep it: the
 * fp32 GEMM and the chunkwise mLSTM, see {@link CudaOps.Fp32Gemm} and {@link CudaOps.Fp32Mlstm}).
 * BF16: opt-in; {@code linear} rounds its input to bf16 and uses a bf16 copy of the weight (converted
 * once on upload) on tensor cores with fp32
 * accumulation, and the chunkwise mLSTM (head dims divisible by 16) runs its chunk products on tensor
 * cores with q, k, v and the incoming state rounded to bf16 as operands ({@code mlstm_mma.cuh}). Outputs,
 * recurrent states (stored and carried in fp32), gate sums, norms, scans and the residual stream stay
 * fp32. Its error against the fp32 goldens is measured and reported, not assumed.
 */
public enum Precision {
    FP32, BF16;

    /** Parses the provider option value ({@code fp32} or {@code bf16}, any case). */
    public static Precision parse(String s) {
        if (s == null) throw new IllegalArgumentException("precision must be fp32 or bf16, got null");
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "fp32" -> FP32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("precision must be fp32 or bf16, got '" + s + "'");
        };
    }
}
