package io.scanline.kernels.tensor;

/**
 * bf16 (1 sign, 8 exponent, 7 mantissa bits: the upper half of an fp32) rounding on the host, the
 * same as CUDA's {@code __float2bfloat16_rn}: round to nearest, ties to even; infinities stay, NaN stays
 * NaN, values past the largest bf16 round to infinity. Used to build the exact-input reference of the
 * bf16 GEMM (products of two bf16 values are exact in fp32, so only the summation order differs).
 */
public final class Bf16 {
    private Bf16() {}

    /** v rounded to the nearest bf16 value, returned as the fp32 with that value. */
    public static float round(float v) {
        if (Float.isNaN(v)) return v;
        int bits = Float.floatToRawIntBits(v);
        int lsb = (bits >>> 16) & 1;
        return Float.intBitsToFloat((bits + 0x7FFF + lsb) & 0xFFFF0000);
    }

    /** A new F32 tensor of t's shape with every element rounded to bf16. */
    public static Tensor round(Tensor t) {
        float[] src = t.f32(), dst = new float[src.length];
        for (int i = 0; i < src.length; i++) dst[i] = round(src[i]);
        return Tensor.of(dst, t.shape());
    }
}
