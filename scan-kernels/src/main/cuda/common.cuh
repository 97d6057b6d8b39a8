// Shared device helpers of the Scanline kernels.
// Glossary: B batch (images), L tokens of this call, E channels, N SSM state size, K conv width,
// H/P/G Mamba-2 heads/head dim/groups, NH/DH mLSTM heads/head dim. All tensors fp32, token-major
// (B, L, ...), contiguous. Every kernel is extern "C" so the Java side finds it by its plain name.
#pragma once
#include <cstdint>
#include <cmath>

#define SL_LOG2E 1.4426950408889634f

// Dynamic shared memory declarations say SL_EXTERN_SHARED instead of `extern __shared__`: the CPU warp
// emulator (src/test/cuda/emu/warp_emu.hpp) gives static shared arrays static storage, which C++ cannot
// combine with extern, so it defines this one as plain extern.
#ifndef SL_EXTERN_SHARED
#define SL_EXTERN_SHARED extern __shared__
#endif

__device__ __forceinline__ float sl_silu(float x) { return x / (1.f + __expf(-x)); }
__device__ __forceinline__ float sl_logsigmoid(float x) { return fminf(x, 0.f) - log1pf(__expf(-fabsf(x))); }

__device__ __forceinline__ float sl_warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

namespace sl {

// softplus with PyTorch's threshold 20 (spec ops §3), branch-free: max(x, 0) + log1p(e), e = exp(-|x|) in (0, 1],
// log1p(e) = 2·atanh(s), s = e / (2 + e) <= 1/3, by its odd series to s^11 (truncation < 2e-7
// relative). log1pf costs ~25 instructions and a branch; this ~15 with two MUFU ops.
__device__ __forceinline__ float sl_softplus(float x)
{
    const float e = exp2f(-fabsf(x) * SL_LOG2E);
    const float s = __fdividef(e, 2.f + e);
    const float s2 = s * s;
    float p = fmaf(s2, 2.f / 11.f, 2.f / 9.f);
    p = fmaf(s2, p, 2.f / 7.f);
    p = fmaf(s2, p, 2.f / 5.f);
    p = fmaf(s2, p, 2.f / 3.f);
    p = fmaf(s2, p, 2.f);
    const float r = fmaxf(x, 0.f) + s * p;
    return x > 20.f ? x : r;
}

}  // namespace sl
