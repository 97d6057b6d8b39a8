// bf16 tensor-core GEMM on mma.sync m16n8k16 with ldmatrix fragments, for large Linear layers in the
// opt-in precision mode: y (M, NO) = bf16(x) (M, K) · w_bf16 (NO, K)ᵀ + b (NO), fp32 accumulation.
// Same contract and rounding as gemm_bf16.cuh (x rounded to nearest even while staged, w converted
// once on upload), so the two agree to the fp32 summation order.
//
// Glossary: M rows (tokens of all images), K input width (K % 8 == 0: 16-byte rows of w), NO output width.
// Tile: 128 × 256 outputs per block of 8 warps (2 × 4), 64 × 64 per warp = 4 m16 × 8 n8 fragments
// (128 fp32 accumulators per thread), K in steps of 64.
//
// Why this shape: the WMMA kernel (64 × 32 per warp) loads a fragment byte from shared memory for every
// 16 multiply-adds; a 64 × 64 warp tile halves that, and ldmatrix.x4 fetches four 8 × 8 matrices per
// instruction. w is bf16 in memory and goes global -> shared with cp.async (no registers); x is fp32
// and must be converted, so its next K step is prefetched into registers during the MMAs and stored
// converted afterwards; steps of 64 give those loads about 1,000 cycles of MMAs to arrive in (32 was
// too short to cover the global latency). Rows of 64 bf16 + 8 padding (144 bytes) put the 8 row addresses of every
// ldmatrix phase in 8 different 16-byte bank groups. One barrier per K step: the stage written in step
// t was last read in step t − 1, before that step's closing barrier.
#pragma once
#include "common.cuh"
#include <cuda_bf16.h>
#include "cp_async.cuh"
#include "mma_frag.cuh"
#include "mma_store.cuh"

namespace slmma {
constexpr int BM = 128, BN = 256, BK = 64, LDS = BK + 8;
constexpr int A_STAGE = BM * LDS, B_STAGE = BN * LDS;           // bf16 elements
constexpr int SMEM_BYTES = 2 * 2 * (A_STAGE + B_STAGE);        // 2 stages of x and w tiles: 110,592 bytes

using sl::ldsm_x4;
using sl::mma_bf16;

__device__ __forceinline__ void cp16(__nv_bfloat16* dst, const __nv_bfloat16* src, bool valid)
{
    sl::sl_cp<16>(reinterpret_cast<float*>(dst), reinterpret_cast<const float*>(src), valid);
}

__device__ __forceinline__ void gemm(const float* __restrict__ x, const __nv_bfloat16* __restrict__ w,
                                     const float* __restrict__ bias, float* __restrict__ y, int M, int NO, int K)
{
    SL_EXTERN_SHARED __align__(128) __nv_bfloat16 smb[];
    __nv_bfloat16* as = smb;                     // (2, BM, LDS)
    __nv_bfloat16* bs = smb + 2 * A_STAGE;       // (2, BN, LDS)
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int wm = warp >> 2, wn = warp & 3;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;

    float acc[4][8][4];
    sl::zero_mma_tiles(acc);

    // x: 128 rows × 16 float4 per K step, 8 per thread; w: 256 rows × 8 chunks of 8 bf16, 8 per thread
    float4 ra[8];
    auto load_x = [&](int k0) {
#pragma unroll
        for (int i = 0; i < 8; ++i) {
            const int idx = tid + i * 256, r = idx >> 4, kc = k0 + (idx & 15) * 4, gm = m0 + r;
            ra[i] = (gm < M && kc < K) ? __ldg(reinterpret_cast<const float4*>(x + (size_t)gm * K + kc))
                                       : make_float4(0.f, 0.f, 0.f, 0.f);
        }
    };
    auto store_x = [&](int st) {
        __nv_bfloat16* dst = as + st * A_STAGE;
#pragma unroll
        for (int i = 0; i < 8; ++i) {
            const int idx = tid + i * 256, r = idx >> 4, kc = (idx & 15) * 4;
            __nv_bfloat162 lo = __floats2bfloat162_rn(ra[i].x, ra[i].y), hi = __floats2bfloat162_rn(ra[i].z, ra[i].w);
            uint2 p;
            p.x = *reinterpret_cast<unsigned*>(&lo);
            p.y = *reinterpret_cast<unsigned*>(&hi);
            *reinterpret_cast<uint2*>(dst + r * LDS + kc) = p;
        }
    };
    auto copy_w = [&](int k0, int st) {
        __nv_bfloat16* dst = bs + st * B_STAGE;
#pragma unroll
        for (int i = 0; i < 8; ++i) {
            const int idx = tid + i * 256, r = idx >> 3, kc = (idx & 7) * 8, gn = n0 + r;
            const bool v = gn < NO && k0 + kc < K;
            cp16(dst + r * LDS + kc, v ? w + (size_t)gn * K + k0 + kc : w, v);
        }
    };

    const int nk = (K + BK - 1) / BK;
    copy_w(0, 0);
    sl::sl_cp_commit();
    load_x(0);
    store_x(0);
    // ldmatrix lane addresses: A matrices (rows 0-7 | 8-15) × (k 0-7 | 8-15); B matrices (n 0-7, k 0-7 | 8-15),
    // then (n 8-15, ...), i.e. b0/b1 of two n8 fragments per instruction
    const int aRow = lane & 15, aCol = (lane >> 4) << 3;
    const int bRow = (lane & 7) + ((lane >> 4) << 3), bCol = ((lane >> 3) & 1) << 3;
    for (int t = 0; t < nk; ++t) {
        const int st = t & 1;
        sl::sl_cp_wait_all();
        __syncthreads();
        if (t + 1 < nk) {
            copy_w((t + 1) * BK, st ^ 1);
            load_x((t + 1) * BK);
        }
        sl::sl_cp_commit();
        const __nv_bfloat16* at = as + st * A_STAGE + (wm * 64) * LDS;
        const __nv_bfloat16* bt = bs + st * B_STAGE + (wn * 64) * LDS;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned af[4][4], bf[8][2];
#pragma unroll
            for (int i = 0; i < 4; ++i) ldsm_x4(af[i][0], af[i][1], af[i][2], af[i][3], at + (i * 16 + aRow) * LDS + kk + aCol);
#pragma unroll
            for (int j = 0; j < 4; ++j)
                ldsm_x4(bf[2 * j][0], bf[2 * j][1], bf[2 * j + 1][0], bf[2 * j + 1][1], bt + (j * 16 + bRow) * LDS + kk + bCol);
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 8; ++j) mma_bf16(acc[i][j], af[i], bf[j][0], bf[j][1]);
        }
        if (t + 1 < nk) store_x(st ^ 1);
    }

    sl::store_mma_tiles(acc, y, bias, M, NO, m0 + wm * 64, n0 + wn * 64, lane);
}
} // namespace slmma

// blockDim.x = 256, grid (⌈M/128⌉, ⌈NO/256⌉), dynamic shared memory gemm_bf16_nt_mma_smem bytes; K % 8 == 0.
extern "C" { __constant__ int gemm_bf16_nt_mma_smem = slmma::SMEM_BYTES; }

extern "C" __global__ void __launch_bounds__(256, 1) gemm_bf16_nt_mma(const float* x, const __nv_bfloat16* w,
                                                                      const float* bias, float* y, int M, int NO, int K)
{
    slmma::gemm(x, w, bias, y, M, NO, K);
}
