// wgmma (sm_90a warpgroup tensor-core products) for the CPU warp emulator: the functions of wgmma_bf16.cuh
// (slwg::fence, commit, wait, proxy_fence and the mma_* shapes the wgmma mLSTM uses) and
// __cvta_generic_to_shared, so that mlstm_wgmma.cuh runs on a machine without a GPU.
//
// Glossary: N the product's width (8..256), d the accumulator (N/2 floats per thread), wq = warp index in its
// warpgroup (rows 16·wq..16·wq + 15 of the 64-row product are that warp's), g4 = lane / 4, q4 = lane % 4.
//
// What is modelled:
// - A product is the warp's 16 rows of D (+)= A (64 × 16) · B (16 × N): the warpgroup's four warps each compute
//   their own rows from their own A rows, so a warp-level collective is enough (a register A operand is the
//   m16n8k16 A fragment of mma_frag.cuh, exchanged over the warp).
// - Shared-memory operands through 64-bit descriptors in the 128-byte-swizzle mode only (any other mode aborts):
//   start address, lbo and sbo in 16-byte units; a 16-byte chunk's address bits 4-6 XORed with bits 7-9.
//   K-major: element (row, k) at start + (row / 8)·sbo + (row % 8)·128 + 2k (the k step moves the start address).
//   MN-major (B, or A with its transpose flag): element (k, mn) at start + (mn / 64)·lbo + (k / 8)·sbo + (k % 8)·128
//   + 2·(mn % 64).
//   The MN-major form is the one the GPU confirmed (mlstm_bf16_check.cu's wgmma unit check: with lbo = the panel
//   stride and sbo = 1024 the H100 matched a host product exactly, with the two swapped it was off by 21.8);
//   mlstm_emu.cpp runs the same unit check here, so that the emulator must agree with the hardware on both forms.
// - Asynchrony: a product runs when a wait covers its commit group (wgmma.wait_group semantics: all but the
//   newest N groups), not when issued. So an accumulator read before its wait sees the old values, and a shared
//   operand overwritten between issue and wait gives the product the new data: both show as wrong results,
//   as they may on the GPU. Register A operands are taken at issue (ptxas keeps them live until the wait).
// - Accumulation: fp32 fma in k order per product (the hardware's own order differs in the last bits, which the
//   checks' tolerances cover, as for mma.sync).
#pragma once
#include "warp_emu.hpp"

#include <vector>

// shared-memory address of p: its offset in the launch's dynamic shared memory (1024-byte aligned there, as the
// kernels declare it, so the swizzle's address bits are those of the offset)
inline size_t __cvta_generic_to_shared(const void* p)
{
    const emu::Block& b = emu::blk();
    const unsigned char* c = static_cast<const unsigned char*>(p);
    if (!b.smem || c < b.smem || c > b.smem + b.smemBytes) {
        fprintf(stderr, "emu: __cvta_generic_to_shared of %p outside shared memory (thread %u)\n", p, threadIdx.x);
        abort();
    }
    return (size_t)(c - b.smem);
}

namespace emu_wg {
struct Desc { uint32_t start, lbo, sbo; };   // bytes

inline Desc decode(uint64_t d)
{
    if ((d >> 62) != 1 || ((d >> 49) & 7) != 0) {
        fprintf(stderr, "emu: wgmma descriptor %#llx: only the 128-byte swizzle with base offset 0 is modelled\n",
                (unsigned long long)d);
        abort();
    }
    return {(uint32_t)(d & 0x3FFF) << 4, (uint32_t)((d >> 16) & 0x3FFF) << 4, (uint32_t)((d >> 32) & 0x3FFF) << 4};
}
// the bf16 at unswizzled byte address a of shared memory
inline float load(uint32_t a)
{
    const emu::Block& b = emu::blk();
    a ^= ((a >> 7) & 7) << 4;
    if (a + 2 > b.smemBytes) {
        fprintf(stderr, "emu: wgmma operand address %u outside shared memory (%zu bytes, thread %u)\n", a, b.smemBytes, threadIdx.x);
        abort();
    }
    __nv_bfloat16 x;
    std::memcpy(&x, b.smem + a, 2);
    return __bfloat162float(x);
}
inline float k_major(const Desc& d, int row, int k) { return load(d.start + (row >> 3) * d.sbo + (row & 7) * 128 + 2 * k); }
inline float mn_major(const Desc& d, int k, int mn)
{
    return load(d.start + (mn >> 6) * d.lbo + (k >> 3) * d.sbo + (k & 7) * 128 + 2 * (mn & 63));
}

// one issued product
struct Op {
    float* d;
    int n;
    bool regA;
    unsigned a[4];   // register A fragment (regA)
    uint64_t da, db;
    bool transA, transB, scaleD;
};
struct PerThread {
    std::vector<Op> open;                 // issued since the last commit
    std::vector<std::vector<Op>> groups;  // committed, oldest first
};
inline std::vector<PerThread>& threads()
{
    static std::vector<PerThread> t;
    if (t.size() < emu::blk().nthreads) t.resize(emu::blk().nthreads);
    return t;
}

inline void run(const Op& op)
{
    const unsigned lane = threadIdx.x % 32, wq = (threadIdx.x / 32) % 4;
    float A[16][16];   // this warp's rows of A
    if (op.regA) {
        struct R { unsigned r[4]; } mine;
        std::memcpy(mine.r, op.a, sizeof mine.r);
        emu::warp_collective(mine, [&](const R* all, unsigned) {
            auto lo = [](unsigned w) { return __bfloat162float({(uint16_t)(w & 0xffff)}); };
            auto hi = [](unsigned w) { return __bfloat162float({(uint16_t)(w >> 16)}); };
            for (int l = 0; l < 32; ++l) {
                const int g = l / 4, q = l % 4;
                const unsigned* x = all[l].r;
                A[g][2 * q] = lo(x[0]);         A[g][2 * q + 1] = hi(x[0]);
                A[g + 8][2 * q] = lo(x[1]);     A[g + 8][2 * q + 1] = hi(x[1]);
                A[g][2 * q + 8] = lo(x[2]);     A[g][2 * q + 9] = hi(x[2]);
                A[g + 8][2 * q + 8] = lo(x[3]); A[g + 8][2 * q + 9] = hi(x[3]);
            }
            return 0;
        });
    } else {
        emu::warp_barrier();   // a warp-wide instruction: every lane takes part
        const Desc da = decode(op.da);
        for (int r = 0; r < 16; ++r)
            for (int k = 0; k < 16; ++k)
                A[r][k] = op.transA ? mn_major(da, k, 16 * (int)wq + r) : k_major(da, 16 * (int)wq + r, k);
    }
    const Desc db = decode(op.db);
    const int g = lane / 4, q = lane % 4;
    for (int j = 0; j < op.n / 8; ++j)
        for (int e = 0; e < 4; ++e) {
            const int row = g + 8 * (e >> 1), col = 8 * j + 2 * q + (e & 1);
            float acc = op.scaleD ? op.d[4 * j + e] : 0.f;
            for (int k = 0; k < 16; ++k) acc = std::fma(A[row][k], op.transB ? mn_major(db, k, col) : k_major(db, col, k), acc);
            op.d[4 * j + e] = acc;
        }
}

inline void issue(float* d, int n, const unsigned* a, uint64_t da, uint64_t db, bool transA, bool transB, int scaleD)
{
    Op op{d, n, a != nullptr, {}, da, db, transA, transB, scaleD != 0};
    if (a) std::memcpy(op.a, a, sizeof op.a);
    threads()[threadIdx.x].open.push_back(op);
}
}  // namespace emu_wg

namespace slwg {
inline void fence() {}
inline void proxy_fence() {}
inline void commit()
{
    emu_wg::PerThread& t = emu_wg::threads()[threadIdx.x];
    t.groups.push_back(std::move(t.open));
    t.open.clear();
}
template <int N>
inline void wait()
{
    emu_wg::PerThread& t = emu_wg::threads()[threadIdx.x];
    while (t.groups.size() > (size_t)N) {
        for (const emu_wg::Op& op : t.groups.front()) emu_wg::run(op);
        t.groups.erase(t.groups.begin());
    }
}

#define SL_WG_EMU_SS(NAME, N, TA, TB) \
    inline void NAME(float (&d)[N / 2], uint64_t da, uint64_t db, int scaleD) { emu_wg::issue(d, N, nullptr, da, db, TA, TB, scaleD); }
#define SL_WG_EMU_RS(NAME, N) \
    inline void NAME(float (&d)[N / 2], const unsigned (&a)[4], uint64_t db, int scaleD) { emu_wg::issue(d, N, a, 0, db, false, false, scaleD); }
SL_WG_EMU_SS(mma_ss_n72, 72, false, false)
SL_WG_EMU_SS(mma_ss_n256, 256, false, false)
SL_WG_EMU_RS(mma_rs_n64, 64)
SL_WG_EMU_SS(mma_ss_tt_n256, 256, true, true)
SL_WG_EMU_SS(mma_ss_tt_n192, 192, true, true)
SL_WG_EMU_SS(mma_ss_tt_n128, 128, true, true)
SL_WG_EMU_SS(mma_ss_tn_n64, 64, true, false)
SL_WG_EMU_SS(mma_ss_tn_n32, 32, true, false)
#undef SL_WG_EMU_SS
#undef SL_WG_EMU_RS
}  // namespace slwg
