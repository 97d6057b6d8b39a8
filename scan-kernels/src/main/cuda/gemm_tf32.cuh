// fp32 GEMM on tensor cores with fp32 accuracy ("3xTF32"): y (M, NO) = x (M, K) · w (NO, K)ᵀ + b (NO).
// Every operand v is split into hi = tf32(v) (rounded to nearest) and lo = v − hi (tf32.cuh), and each
// product is formed as lo_x·hi_w + hi_x·lo_w + hi_x·hi_w on mma.sync m16n8k8 tf32 with fp32
// accumulation; the dropped lo·lo term and the truncation of lo by the tensor core are <= ~2^-21 of the
// product, so the result matches the SIMT kernels of gemm.cuh to fp32 rounding (both are compared with
// the reference at the fp32 tolerance 1e-5).
//
// Glossary: M rows (tokens of all images), K input width (K % 4 == 0: 16-byte rows), NO output width.
// Tile: 128 × 128 outputs per block of 8 warps (2 × 4), 64 × 32 per warp = 4 m16 × 4 n8 fragments, K in
// steps of 32, 4 stages of cp.async (x and w both fp32 in memory, so both go global -> shared without
// registers), one block per SM (201 registers, 144 KB of shared memory). Rows of 32 + 4 floats:
// the fragment loads (lane (g, t) reads row g, column t) hit 32 different banks. The split happens at
// the fragment loads, so shared memory holds plain fp32.
#pragma once
#include "common.cuh"
#include "cp_async.cuh"
#include "mma_store.cuh"
#include "tf32.cuh"

namespace sltf {
constexpr int BM = 128, BN = 128, BK = 32, LDS = BK + 4, STAGES = 4;
constexpr int STAGE = (BM + BN) * LDS;                  // floats per stage: x tile then w tile
constexpr int SMEM_BYTES = STAGES * STAGE * 4;         // 147,456 bytes

__device__ __forceinline__ void gemm(const float* __restrict__ x, const float* __restrict__ w,
                                     const float* __restrict__ bias, float* __restrict__ y, int M, int NO, int K)
{
    SL_EXTERN_SHARED __align__(16) float smf[];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int wm = warp >> 2, wn = warp & 3;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    const int g = lane >> 2, q = lane & 3;

    // The tensor cores add into their fp32 accumulator with truncation, so a long running sum drifts
    // toward zero by ~2^-24 per MMA (2.6e-5 relative at K = 3072 when one accumulator ran through all of
    // K). Each K step therefore starts its own accumulator from zero and is added to tot with rounded
    // fp32 adds: the truncation then only applies within 12 MMAs of one step's partial sum.
    float tot[4][4][4];
    sl::zero_mma_tiles(tot);

    // per stage: 128 rows × 8 chunks of 4 floats for x and for w, 4 chunks of each per thread
    auto copy = [&](int tile, int st) {
        float* xs = smf + st * STAGE;
        float* ws = xs + BM * LDS;
        const int k0 = tile * BK;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int idx = tid + i * 256, r = idx >> 3, kc = (idx & 7) * 4;
            const bool kv = k0 + kc < K;
            const bool vx = kv && m0 + r < M, vw = kv && n0 + r < NO;
            sl::sl_cp<16>(xs + r * LDS + kc, vx ? x + (size_t)(m0 + r) * K + k0 + kc : x, vx);
            sl::sl_cp<16>(ws + r * LDS + kc, vw ? w + (size_t)(n0 + r) * K + k0 + kc : w, vw);
        }
    };

    const int nk = (K + BK - 1) / BK;
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < nk) copy(s, s);
        sl::sl_cp_commit();
    }
    for (int t = 0; t < nk; ++t) {
        // tile t's group is complete once at most STAGES − 2 later groups are pending
        asm volatile("cp.async.wait_group %0;\n" :: "n"(STAGES - 2));
        __syncthreads();
        // the stage refilled here was last read in iteration t − 1, before the barrier above
        if (t + STAGES - 1 < nk) copy(t + STAGES - 1, (t + STAGES - 1) % STAGES);
        sl::sl_cp_commit();
        float acc[4][4][4];
        sl::zero_mma_tiles(acc);
        const float* xs = smf + (t % STAGES) * STAGE + (wm * 64) * LDS;
        const float* ws = smf + (t % STAGES) * STAGE + BM * LDS + (wn * 32) * LDS;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 8) {
            unsigned ahi[4][4], alo[4][4], bhi[4][2], blo[4][2];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const float* r0 = xs + (i * 16 + g) * LDS + kk + q;
                split(r0[0], ahi[i][0], alo[i][0]);
                split(r0[8 * LDS], ahi[i][1], alo[i][1]);
                split(r0[4], ahi[i][2], alo[i][2]);
                split(r0[8 * LDS + 4], ahi[i][3], alo[i][3]);
            }
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const float* r0 = ws + (j * 8 + g) * LDS + kk + q;
                split(r0[0], bhi[j][0], blo[j][0]);
                split(r0[4], bhi[j][1], blo[j][1]);
            }
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    // small terms first: they are added to the accumulator before the large one
                    mma3_tf32(acc[i][j], acc[i][j], ahi[i], alo[i], bhi[j], blo[j]);
                }
        }
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j)
#pragma unroll
                for (int c = 0; c < 4; ++c) tot[i][j][c] += acc[i][j][c];
    }
    asm volatile("cp.async.wait_group 0;\n" ::);

    sl::store_mma_tiles(tot, y, bias, M, NO, m0 + wm * 64, n0 + wn * 32, lane);
}
} // namespace sltf

// blockDim.x = 256, grid (⌈NO/128⌉, ⌈M/128⌉), dynamic shared memory gemm_nt_tf32x3_smem bytes; K % 4 == 0.
extern "C" { __constant__ int gemm_nt_tf32x3_smem = sltf::SMEM_BYTES; }

extern "C" __global__ void __launch_bounds__(256, 1) gemm_nt_tf32x3(const float* x, const float* w, const float* bias,
                                                                    float* y, int M, int NO, int K)
{
    sltf::gemm(x, w, bias, y, M, NO, K);
}
