// cp.async helpers shared by the kernels that stage their inputs into shared memory.
#pragma once

#ifndef SL_WARP_EMU   // the CPU warp emulator (src/test/cuda/emu/warp_emu.hpp) supplies synchronous copies
namespace sl {

template <int BYTES>
__device__ __forceinline__ void sl_cp(float* dst, const float* src, bool valid)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    if constexpr (BYTES == 16)
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(src), "r"(valid ? 16 : 0));
    else
        asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" :: "r"(s), "l"(src), "n"(BYTES), "r"(valid ? BYTES : 0));
}

__device__ __forceinline__ void sl_cp_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void sl_cp_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::); }
// every committed group but the newest N complete
template <int N>
__device__ __forceinline__ void sl_cp_wait() { asm volatile("cp.async.wait_group %0;\n" :: "n"(N)); }

}  // namespace sl
#endif
