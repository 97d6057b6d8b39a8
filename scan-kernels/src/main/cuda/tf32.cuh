// tf32 pieces shared by the kernels that reach fp32 accuracy on tensor cores ("3xTF32": gemm_tf32.cuh,
// ssd_state_mma.cuh, ssd_out_mma.cuh): the round-to-nearest conversion, the hi/lo split of an fp32 value and the m16n8k8 MMA.
// Fragment layouts of mma.sync m16n8k8 (lane = 4·g + t): A (16 × 8, row) a0 = A[g][t], a1 = A[g+8][t],
// a2 = A[g][t+4], a3 = A[g+8][t+4]; B (8 × 8, col) b0 = B[t][g], b1 = B[t+4][g]; C/D (16 × 8)
// c0 = D[g][2t], c1 = D[g][2t+1], c2 = D[g+8][2t], c3 = D[g+8][2t+1].
#pragma once

namespace sltf {
// v rounded to tf32 (11 significant bits, to nearest, ties away from zero) by adding half a tf32 unit to
// the bits and clearing the 13 low ones: two integer instructions, where cvt.rna.tf32.f32 expands to about
// five on sm_90 (measured in the SSD experiment's SASS). Finite inputs only.
__device__ __forceinline__ unsigned tf32(float v) { return (__float_as_uint(v) + 0x1000u) & 0xffffe000u; }

// v = hi + lo exactly (v − hi needs at most 13 significant bits). lo goes to the MMA with all its fp32 bits;
// the tensor core reads it as tf32, dropping its low 13 bits: at most 2^-10·|lo| <= 2^-21·|v|.
__device__ __forceinline__ void split(float v, unsigned& hi, unsigned& lo)
{
    hi = tf32(v);
    lo = __float_as_uint(v - __uint_as_float(hi));
}

// Built for the GPU unless the CPU warp emulator (src/test/cuda/emu/warp_emu.hpp) supplies it.
#ifndef SL_WARP_EMU
__device__ __forceinline__ void mma_tf32(float* d, const unsigned* a, const unsigned* b)
{
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif

// The 3xTF32 product of a = ah + al and b = bh + bl (split above): the small terms al·bh + ah·bl into lo, ah·bh
// into hi. Callers pass two accumulators (two shorter chains through the tensor pipe) or the same one twice.
__device__ __forceinline__ void mma3_tf32(float* hi, float* lo, const unsigned* ah, const unsigned* al, const unsigned* bh,
                                          const unsigned* bl)
{
    mma_tf32(lo, al, bh);
    mma_tf32(lo, ah, bl);
    mma_tf32(hi, ah, bh);
}

} // namespace sltf
