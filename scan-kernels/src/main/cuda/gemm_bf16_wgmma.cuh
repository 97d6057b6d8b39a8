// bf16 GEMM on wgmma (sm_90a only) for Linear layers in the opt-in precision mode: y (M, NO) = xb (M, K) · w (NO, K)ᵀ
// + b (NO), both operands bf16 in memory, fp32 accumulation, fp32 y. Same contract and rounding as gemm_bf16_nt_mma
// (CudaOps rounds x to bf16, nearest even, in one pass before the launch: xb = cvt_f32_bf16(x)), so the two agree to
// the fp32 summation order.
//
// Glossary: M rows (tokens of all images), K input width (K % 8 == 0: 16-byte rows), NO output width; a block computes
// BM × BN = 128 × 256 outputs with two warpgroups of 64 rows (wgmma m64n256k16, 128 fp32 accumulators a thread), K in
// steps of BK = 64 (one 128-byte row per operand row), STAGES = 4 stages of shared memory (x 16 KB + w 32 KB each).
// Both tiles sit in the 128-byte-swizzled K-major layout (row r at r · 128 bytes, its 16-byte chunk c at c ^ (r % 8)),
// copied by cp.async (zero-filled past M, NO and K); a step's 4 products advance the descriptors' start by 32 bytes.
// Pipeline: at step t every warpgroup has finished the products of step t − 2 (each waits for all but its newest group
// before the barrier that opens step t), so stage (t − 2) % 4 is free and takes step t + 2's copies: two steps of
// copies in flight while one step's products run. Blocks walk the output tiles along NO first, so the blocks resident
// together share x's rows (a model layer's w, a few MB, stays in L2).
// Checked against a host GEMM on the same bf16 operands on the CPU warp emulator (src/test/cuda/emu/mlstm_emu.cpp) and
// by the bf16 conformance suite through CudaOps (Bf16Gemm.WGMMA) on the GPU.
#pragma once
#include <cstdint>
#include "common.cuh"
#include <cuda_bf16.h>
#include "cp_async.cuh"
#include "wgmma_bf16.cuh"

namespace slgw {
constexpr int BM = 128, BN = 256, BK = 64, STAGES = 4;
constexpr int A_BYTES = BM * 128, B_BYTES = BN * 128, STAGE_BYTES = A_BYTES + B_BYTES;
constexpr int SMEM_BYTES = STAGES * STAGE_BYTES;   // 196,608 bytes

#if defined(__CUDA_ARCH_FEAT_SM90_ALL) || defined(SL_WARP_EMU)
using slwg::desc_k;

__device__ __forceinline__ void gemm(const __nv_bfloat16* __restrict__ x, const __nv_bfloat16* __restrict__ w,
                                     const float* __restrict__ bias, float* __restrict__ y, int M, int NO, int K)
{
    SL_EXTERN_SHARED __align__(1024) unsigned char smem_gw[];
    const int tid = threadIdx.x, lane = tid & 31;
    // warpgroup and warp broadcast from lane 0: warp-uniform, so the descriptors stay in uniform registers
    const int wg = __shfl_sync(0xffffffffu, tid >> 7, 0), wi = __shfl_sync(0xffffffffu, (tid >> 5) & 3, 0);
    const int nTiles = (NO + BN - 1) / BN;
    const int n0 = (int)(blockIdx.x % nTiles) * BN, m0 = (int)(blockIdx.x / nTiles) * BM;
    const int nk = (K + BK - 1) / BK;

    // a thread copies 16-byte chunk c = tid % 8 of rows tid / 8 + 32·i (x: 4 rows, w: 8 rows)
    const int cc = tid & 7, r0 = tid >> 3;
    auto copy = [&](int t) {
        if (t < nk) {
            unsigned char* st = smem_gw + (t % STAGES) * STAGE_BYTES;
            const int kc = t * BK + 8 * cc;
            const bool kin = kc < K;
#pragma unroll
            for (int i = 0; i < BM / 32; ++i) {
                const int r = r0 + 32 * i, gm = m0 + r;
                const bool v = kin && gm < M;
                sl::sl_cp<16>(reinterpret_cast<float*>(st + r * 128 + ((cc ^ (r & 7)) << 4)),
                              reinterpret_cast<const float*>(v ? x + (size_t)gm * K + kc : x), v);
            }
#pragma unroll
            for (int i = 0; i < BN / 32; ++i) {
                const int r = r0 + 32 * i, gn = n0 + r;
                const bool v = kin && gn < NO;
                sl::sl_cp<16>(reinterpret_cast<float*>(st + A_BYTES + r * 128 + ((cc ^ (r & 7)) << 4)),
                              reinterpret_cast<const float*>(v ? w + (size_t)gn * K + kc : w), v);
            }
        }
        sl::sl_cp_commit();   // an empty group past the last step keeps the wait counts uniform
    };

    float acc[BN / 2];
#pragma unroll
    for (int i = 0; i < BN / 2; ++i) acc[i] = 0.f;
    copy(0);
    copy(1);
    for (int t = 0; t < nk; ++t) {
        sl::sl_cp_wait<1>();   // step t's copies landed (step t + 1's may be in flight)
        slwg::proxy_fence();   // written through the generic proxy, read by wgmma
        __syncthreads();       // every thread's copies, and every warpgroup's products of step t − 2, done
        copy(t + 2);
        const unsigned char* st = smem_gw + (t % STAGES) * STAGE_BYTES;
        const uint64_t dA = desc_k(st + wg * 64 * 128), dB = desc_k(st + A_BYTES);
        slwg::fence();
#pragma unroll
        for (int s = 0; s < BK / 16; ++s) slwg::mma_ss_n256(acc, dA + 2 * s, dB + 2 * s, 1);
        slwg::commit();
        slwg::wait<1>();
    }
    slwg::wait<0>();

    // accumulator (per warp the m16n8 C fragment of n8 block j in acc[4j..4j+3]) plus bias to y
    const int g4 = lane >> 2, q4 = lane & 3;
    const bool pairs = (NO & 1) == 0;   // 8-byte stores need even rows
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
        const int gm = m0 + 64 * wg + 16 * wi + g4 + 8 * hf;
        if (gm >= M) continue;
        float* yr = y + (size_t)gm * NO;
#pragma unroll
        for (int j = 0; j < BN / 8; ++j) {
            const int gn = n0 + 8 * j + 2 * q4;
            const float a0 = acc[4 * j + 2 * hf], a1 = acc[4 * j + 2 * hf + 1];
            if (pairs && gn + 1 < NO) {
                *reinterpret_cast<float2*>(yr + gn) = make_float2(a0 + (bias ? bias[gn] : 0.f), a1 + (bias ? bias[gn + 1] : 0.f));
            } else {
                if (gn < NO) yr[gn] = a0 + (bias ? bias[gn] : 0.f);
                if (gn + 1 < NO) yr[gn + 1] = a1 + (bias ? bias[gn + 1] : 0.f);
            }
        }
    }
}
#endif
}  // namespace slgw

// blockDim.x = 256, grid ⌈M/128⌉ · ⌈NO/256⌉ (one dimension), dynamic shared memory gemm_bf16_nt_wgmma_smem bytes;
// K % 8 == 0; x is bf16 here (CudaOps converts it).
extern "C" { __constant__ int gemm_bf16_nt_wgmma_smem = slgw::SMEM_BYTES; }

extern "C" __global__ void __launch_bounds__(256, 1) gemm_bf16_nt_wgmma(const __nv_bfloat16* x, const __nv_bfloat16* w,
                                                                        const float* bias, float* y, int M, int NO, int K)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL) || defined(SL_WARP_EMU)
    slgw::gemm(x, w, bias, y, M, NO, K);
#else
    __trap();   // the sm_90 build has no wgmma: CudaOps launches this kernel where the sm_90a build loaded only
#endif
}
