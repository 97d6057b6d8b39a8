// bf16 tensor-core GEMM for Linear layers in the opt-in precision mode (precision=bf16):
// y (M, NO) = bf16(x) (M, K) · w_bf16 (NO, K)ᵀ + b (NO), products exact in fp32, fp32 accumulation.
// Glossary: M rows (tokens of all images), K input width, NO output width.
// x and y stay fp32 (the residual stream and everything around the GEMM are fp32, decision D2);
// x is rounded to bf16 (round to nearest even) while it is staged into shared memory, the weight is
// converted once on upload (cvt_f32_bf16) and cached. Tile: 128×128 output per block of 8 warps
// (2×4, 64×32 per warp = 4×2 WMMA 16×16×16 fragments), K in steps of 32, double-buffered shared
// memory with a register prefetch of the next K step. The _vec variant needs K % 8 == 0 (16-byte
// loads of 8 bf16 / 2×float4); _any takes every K (element loads), both zero-fill past M, NO and K.
#pragma once
#include <mma.h>
#include <cuda_bf16.h>

extern "C" __global__ void cvt_f32_bf16(const float* x, __nv_bfloat16* y, long long n)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        y[i] = __float2bfloat16_rn(x[i]);
}

// Two conversions of n elements in one launch (the fused mLSTM's q and k: one launch less per call, which counts at
// calls of ~0.1 ms), element for element the same rounding as cvt_f32_bf16.
extern "C" __global__ void cvt_f32_bf16_pair(const float* x0, const float* x1, __nv_bfloat16* y0, __nv_bfloat16* y1,
                                             long long n)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < 2 * n; i += (long long)gridDim.x * blockDim.x) {
        if (i < n) y0[i] = __float2bfloat16_rn(x0[i]);
        else y1[i - n] = __float2bfloat16_rn(x1[i - n]);
    }
}

namespace slbf {
constexpr int BM = 128, BN = 128, BK = 32, LDS = BK + 8; // +8: 80-byte rows spread the fragment loads over banks

template <bool VEC>
__device__ __forceinline__ void gemm(const float* __restrict__ x, const __nv_bfloat16* __restrict__ w,
                                     const float* __restrict__ bias, float* __restrict__ y, int M, int NO, int K)
{
    using namespace nvcuda;
    __shared__ __align__(128) __nv_bfloat16 sm[2][2][BM * LDS]; // [stage][0 = x tile, 1 = w tile], 40 KiB
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int wm = warp >> 2, wn = warp & 3;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);

    float ra[16];
    __nv_bfloat16 rb[16];
    auto load = [&](int k0) {
        if (VEC) {
#pragma unroll
            for (int i = 0; i < 4; ++i) { // x: 128 rows × 8 float4
                const int idx = tid + i * 256, r = idx >> 3, kc = k0 + (idx & 7) * 4, gm = m0 + r;
                float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
                if (gm < M && kc < K) v = *reinterpret_cast<const float4*>(x + (size_t)gm * K + kc);
                ra[4 * i] = v.x; ra[4 * i + 1] = v.y; ra[4 * i + 2] = v.z; ra[4 * i + 3] = v.w;
            }
#pragma unroll
            for (int i = 0; i < 2; ++i) { // w: 128 rows × 4 groups of 8 bf16
                const int idx = tid + i * 256, r = idx >> 2, kc = k0 + (idx & 3) * 8, gn = n0 + r;
                uint4 v = make_uint4(0u, 0u, 0u, 0u);
                if (gn < NO && kc < K) v = *reinterpret_cast<const uint4*>(w + (size_t)gn * K + kc);
                *reinterpret_cast<uint4*>(&rb[8 * i]) = v;
            }
        } else {
#pragma unroll
            for (int i = 0; i < 16; ++i) { // element loads, consecutive threads along k
                const int idx = tid + i * 256, r = idx >> 5, kc = k0 + (idx & 31);
                const int gm = m0 + r, gn = n0 + r;
                ra[i] = (gm < M && kc < K) ? x[(size_t)gm * K + kc] : 0.f;
                rb[i] = (gn < NO && kc < K) ? w[(size_t)gn * K + kc] : __float2bfloat16_rn(0.f);
            }
        }
    };
    auto store = [&](int st) {
        __nv_bfloat16* as = sm[st][0];
        __nv_bfloat16* bs = sm[st][1];
        if (VEC) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int idx = tid + i * 256, r = idx >> 3, kc = (idx & 7) * 4;
                __nv_bfloat162 lo = __floats2bfloat162_rn(ra[4 * i], ra[4 * i + 1]);
                __nv_bfloat162 hi = __floats2bfloat162_rn(ra[4 * i + 2], ra[4 * i + 3]);
                uint2 p;
                p.x = *reinterpret_cast<unsigned*>(&lo);
                p.y = *reinterpret_cast<unsigned*>(&hi);
                *reinterpret_cast<uint2*>(as + r * LDS + kc) = p;
            }
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                const int idx = tid + i * 256, r = idx >> 2, kc = (idx & 3) * 8;
                *reinterpret_cast<uint4*>(bs + r * LDS + kc) = *reinterpret_cast<const uint4*>(&rb[8 * i]);
            }
        } else {
#pragma unroll
            for (int i = 0; i < 16; ++i) {
                const int idx = tid + i * 256, r = idx >> 5, kc = idx & 31;
                as[r * LDS + kc] = __float2bfloat16_rn(ra[i]);
                bs[r * LDS + kc] = rb[i];
            }
        }
    };

    const int nk = (K + BK - 1) / BK;
    load(0);
    store(0);
    __syncthreads();
    for (int t = 0; t < nk; ++t) {
        const int st = t & 1;
        if (t + 1 < nk) load((t + 1) * BK); // global loads in flight during the MMAs below
        const __nv_bfloat16* as = sm[st][0];
        const __nv_bfloat16* bs = sm[st][1];
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[4];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> fb[2];
#pragma unroll
            for (int i = 0; i < 4; ++i) wmma::load_matrix_sync(fa[i], as + (wm * 64 + i * 16) * LDS + kk, LDS);
#pragma unroll
            for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], bs + (wn * 32 + j * 16) * LDS + kk, LDS);
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        if (t + 1 < nk) store(st ^ 1); // the other stage was last read before the previous barrier
        __syncthreads();
    }

    // epilogue: each warp stages one 16×16 fragment at a time in shared memory (the tiles are free
    // now), then writes it with the bias and the M/NO bounds
    float* scr = reinterpret_cast<float*>(&sm[0][0][0]) + warp * 256;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 2; ++j) {
            wmma::store_matrix_sync(scr, acc[i][j], 16, wmma::mem_row_major);
            __syncwarp();
            for (int e = lane; e < 256; e += 32) {
                const int gm = m0 + wm * 64 + i * 16 + (e >> 4), gn = n0 + wn * 32 + j * 16 + (e & 15);
                if (gm < M && gn < NO) y[(size_t)gm * NO + gn] = scr[e] + (bias ? bias[gn] : 0.f);
            }
            __syncwarp();
        }
    }
}
} // namespace slbf

extern "C" __global__ void __launch_bounds__(256) gemm_bf16_nt_vec(const float* x, const __nv_bfloat16* w,
                                                                   const float* bias, float* y, int M, int NO, int K)
{
    slbf::gemm<true>(x, w, bias, y, M, NO, K);
}

extern "C" __global__ void __launch_bounds__(256) gemm_bf16_nt_any(const float* x, const __nv_bfloat16* w,
                                                                   const float* bias, float* y, int M, int NO, int K)
{
    slbf::gemm<false>(x, w, bias, y, M, NO, K);
}
