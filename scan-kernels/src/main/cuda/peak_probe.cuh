// The device's bf16 tensor-core peak as measured, the reference of CudaBench's "% of the measured bf16 peak" (as its
// copy kernel is the reference of "% of the copy bandwidth"): every warpgroup issues m64n256k16 wgmma products back to
// back from one pair of shared-memory tiles, so nothing but the tensor cores' issue rate bounds it.
//
// Glossary: WGS warpgroups per block (the launch's blockDim / 128, up to 3), ITERS iterations of 4 products (K 64)
// per warpgroup. A (64 × 64) and B (256 × 64) are bf16 ones in 128-byte-swizzled K-major panels, so after ITERS
// iterations every accumulator holds 64·ITERS exactly (fp32 is exact below 2^24): a thread writes how many of its
// 128 do not, so a product skipped, repeated or read from the wrong place shows as a nonzero count and a FLOP count
// of 2·64·256·64 per warpgroup and iteration is what ran.
// Checked on the CPU warp emulator (src/test/cuda/emu/mlstm_emu.cpp) and timed on the GPU by CudaBench.
#pragma once
#include <cstdint>
#include "wgmma_bf16.cuh"

#include "common.cuh"

// dynamic shared memory of a launch: A's 64 rows, then B's 256, of 128 bytes
constexpr int BF16_PEAK_PROBE_SMEM = (64 + 256) * 128;
extern "C" { __constant__ int bf16_peak_probe_smem = BF16_PEAK_PROBE_SMEM; }

extern "C" __global__ void __launch_bounds__(384, 1) bf16_peak_probe(float* wrong, int iters)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL) || defined(SL_WARP_EMU)
    SL_EXTERN_SHARED __align__(1024) unsigned char smem_probe[];
    for (int i = threadIdx.x; i < BF16_PEAK_PROBE_SMEM / 4; i += blockDim.x)
        reinterpret_cast<uint32_t*>(smem_probe)[i] = 0x3F803F80u;   // two bf16 ones
    slwg::proxy_fence();
    __syncthreads();
    // K-major, 128-byte swizzle; a step of 16 k is 32 bytes on the start address
    const uint64_t dA = slwg::desc_k(smem_probe), dB = slwg::desc_k(smem_probe + 64 * 128);
    float acc[128];
#pragma unroll
    for (int i = 0; i < 128; ++i) acc[i] = 0.f;
    for (int it = 0; it < iters; ++it) {
        slwg::fence();
#pragma unroll
        for (int s = 0; s < 4; ++s) slwg::mma_ss_n256(acc, dA + 2 * s, dB + 2 * s, 1);
        slwg::commit();
        slwg::wait<1>();   // one group in flight behind the one being issued, as a GEMM main loop keeps it
    }
    slwg::wait<0>();
    const float want = 64.f * (float)iters;
    int bad = 0;
#pragma unroll
    for (int i = 0; i < 128; ++i) bad += acc[i] != want;
    wrong[(size_t)blockIdx.x * blockDim.x + threadIdx.x] = (float)bad;
#else
    __trap();   // the sm_90 build has no wgmma: CudaOps launches the probe where the sm_90a build loaded only
#endif
}
