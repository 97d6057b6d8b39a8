// Warp-level bf16 tensor-core primitives (mma.sync m16n8k16, ldmatrix) shared by the bf16 GEMM
// (gemm_mma.cuh) and the fused mLSTM (mlstm_fused.cuh).
//
// Fragment layout (PTX ISA, m16n8k16 .bf16): lane = 4·g + q. A (16 × 16, row-major): a0 (row g, k 2q..2q+1),
// a1 (row g+8, same k), a2 (row g, k 2q+8..), a3 (row g+8, k 2q+8..). B (16 × 8): b0 (k 2q..2q+1, col g),
// b1 (k 2q+8.., col g). Accumulator: c0, c1 (row g, cols 2q, 2q+1), c2, c3 (row g+8, same cols).
#pragma once
#include <cuda_bf16.h>

// Built for the GPU unless the CPU warp emulator (src/test/cuda/emu/warp_emu.hpp) supplies these functions.
#ifndef SL_WARP_EMU
namespace sl {
// Four 8 × 8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i.
__device__ __forceinline__ void ldsm_x4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const __nv_bfloat16* p)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(s));
}

// As ldsm_x4, each matrix transposed: for operands stored k-major where the fragment wants them the other way.
__device__ __forceinline__ void ldsm_x4_t(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const __nv_bfloat16* p)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(s));
}

// Two matrices; lanes 0..15 give the row addresses (the others' are ignored but must be valid).
__device__ __forceinline__ void ldsm_x2(unsigned& r0, unsigned& r1, const __nv_bfloat16* p)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n" : "=r"(r0), "=r"(r1) : "r"(s));
}

__device__ __forceinline__ void mma_bf16(float* d, const unsigned* a, unsigned b0, unsigned b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

}  // namespace sl
#endif

namespace sl {
// Two fp32 -> one bf16 pair (nearest even), low half first, as one 32-bit word.
__device__ __forceinline__ unsigned pack_bf16x2(float lo, float hi)
{
    __nv_bfloat162 p = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<unsigned*>(&p);
}
}  // namespace sl
