// Pieces shared by the tensor-core mLSTM kernels (mlstm_mma.cuh, mlstm_fused.cuh): the chunk's gate scans in
// fp64 and bf16 staging of fp32 rows. Glossary as mlstm.cuh (Q chunk length, qn tokens in this chunk).
#pragma once
#include <cuda_bf16.h>

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
} // namespace slm16
