// Pieces shared by the tensor-core mLSTM kernels (mlstm_mma.cuh, mlstm_fused.cuh, mlstm_wgmma.cuh): the chunk's gate
// scans in fp64, bf16 staging of fp32 rows, and P's bf16 pairs with their row sums. Glossary as mlstm.cuh (Q chunk
// length, qn tokens in this chunk).
#pragma once
#include <cuda_bf16.h>
#include "mma_frag.cuh"   // sl::pack_bf16x2

namespace slm16 {
// Warp 0 only: for the chunk's tokens s < qn, sb[s] = b_s = Σ_{r≤s} logsigmoid(f̃_r) and
// sc[s] = max_{r≤s}(ĩ_r − b_r), both fp64; si[s] = ĩ_s. Entries qn..Q−1 are zeroed.
__device__ __forceinline__ void gate_scan(const float* ig, const float* fg, size_t g0, int NH, int qn, int Q,
                                          double* sb, double* sc, float* si)
{
    const int lane = threadIdx.x & 31;
    const unsigned full = 0xffffffffu;
    double carry = 0.0, cmax = -INFINITY;
    for (int s0 = 0; s0 < qn; s0 += 32) {
        const int s = s0 + lane;
        double lf = 0.0;
        float iv = 0.f;
        if (s < qn) {
            const double f = fg[g0 + (size_t)s * NH];
            lf = fmin(f, 0.0) - log1p(exp(-fabs(f)));
            iv = ig[g0 + (size_t)s * NH];
        }
        double x = lf;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            const double y = __shfl_up_sync(full, x, o);
            if (lane >= o) x += y;
        }
        x += carry;
        double a = s < qn ? (double)iv - x : -INFINITY;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            const double y = __shfl_up_sync(full, a, o);
            if (lane >= o) a = fmax(a, y);
        }
        a = fmax(a, cmax);
        if (s < qn) { sb[s] = x; sc[s] = a; si[s] = iv; }
        carry = __shfl_sync(full, x, 31);
        cmax = __shfl_sync(full, a, 31);
    }
    for (int s = qn + lane; s < Q; s += 32) { sb[s] = 0.0; sc[s] = 0.0; si[s] = 0.f; }
}

// 4 fp32 -> 4 bf16 (nearest even) as one 8-byte shared store.
__device__ __forceinline__ void st_bf16x4(__nv_bfloat16* dst, float4 x)
{
    __nv_bfloat162 lo = __floats2bfloat162_rn(x.x, x.y), hi = __floats2bfloat162_rn(x.z, x.w);
    uint2 p;
    p.x = *reinterpret_cast<unsigned*>(&lo);
    p.y = *reinterpret_cast<unsigned*>(&hi);
    *reinterpret_cast<uint2*>(dst) = p;
}

// p0, p1 rounded to bf16 (nearest even) and stored at dst as one word; returns the sum of the rounded pair, so that the
// normalizer's row sums of P are over the values the products see.
__device__ __forceinline__ float st_bf16x2_sum(void* dst, float p0, float p1)
{
    const unsigned pk = sl::pack_bf16x2(p0, p1);
    *reinterpret_cast<unsigned*>(dst) = pk;
    const __nv_bfloat162 r = *reinterpret_cast<const __nv_bfloat162*>(&pk);
    return __bfloat162float(r.x) + __bfloat162float(r.y);
}

// x summed over the four lanes of this lane's quad (the lanes of one accumulator row)
__device__ __forceinline__ float quad_sum(float x)
{
    x += __shfl_xor_sync(0xffffffffu, x, 1);
    return x + __shfl_xor_sync(0xffffffffu, x, 2);
}
} // namespace slm16
