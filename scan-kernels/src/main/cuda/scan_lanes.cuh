// Single-pass, state-parallel selective scan (Mamba-1, spec ops §8.1) and SSD (§9) with an initial
// state in and the final state out: the fast path when B·E·N/SPT threads fill the GPU.
//
// Glossary: B batch, L tokens of this call, E channels (= H·P for SSD), N state size, NS N rounded
// up to the kernel's register width, H heads (= E for the scan, P = 1), G groups of B/C rows,
// SPT states per thread, LPC = NS/SPT lanes per channel, CPB channels per block, TT tokens per tile.
// Layouts as in selective_scan.cuh: u/x, delta, z, out (B, L, E); dt (B, L, H); Bm, Cm (B, L, G, N);
// state (B, E, N).
//
// Why: the chunk-parallel scan (selective_scan.cuh) reads the inputs twice and computes every
// exp(δ·A) twice, so it cannot pass ~2/3 of the bandwidth bound; one thread per channel reads
// everything once but gives only B·E threads. Here each channel's N states are spread over LPC lanes
// of one warp, so B·E·LPC threads scan in one pass. y_t = Σ_n C h needs a sum over the lanes: it is
// done once per tile of TT tokens as a transpose-reduction (each halving step exchanges half of the
// tile's partial sums), ~1 shuffle per thread and token instead of log2(LPC).
// Inputs stream through shared memory in a STAGES-deep cp.async ring, so loads of later tiles are in
// flight while a tile is scanned; the padded states (n >= N) read zeros (cp.async zero-fill) and
// stay zero.
#pragma once
#include "common.cuh"

namespace sl {

constexpr int LANES_TT = 32;       // tokens per tile

#ifndef SL_WARP_EMU   // the CPU warp emulator (src/test/cuda/emu/warp_emu.hpp) supplies synchronous copies
__device__ __forceinline__ void cp_async4(float* dst, const float* src, bool valid)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" :: "r"(s), "l"(src), "r"(valid ? 4 : 0));
}

// 16 bytes, of which `bytes` (0..16) are read and the rest zero-filled.
__device__ __forceinline__ void cp_async16(float* dst, const float* src, int bytes)
{
    const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(s), "l"(src), "r"(bytes));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int K>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" :: "n"(K)); }
#endif

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<size_t>(p) & 15) == 0; }

// One halving step per lane bit, all indices compile-time so pt stays in registers: a lane keeps
// the half of its LEN partial sums selected by its bit O and adds the partner's copy of that half.
template <int O, int LEN>
__device__ __forceinline__ void transpose_reduce(float (&pt)[LANES_TT], int j)
{
    if constexpr (O >= 1) {
        const bool upper = (j & O) != 0;
#pragma unroll
        for (int i = 0; i < LEN / 2; ++i) {
            const float lo = pt[i], hi = pt[i + LEN / 2];
            pt[i] = (upper ? hi : lo) + __shfl_xor_sync(0xffffffffu, upper ? lo : hi, O);
        }
        transpose_reduce<O / 2, LEN / 2>(pt, j);
    }
}

template <int NS, int CPB>
struct LanesStage {
    static constexpr int U = 0;                          // u (TT, CPB)
    static constexpr int D = U + LANES_TT * CPB;         // raw δ / dt (TT, CPB)
    static constexpr int Z = D + LANES_TT * CPB;         // z (TT, CPB)
    static constexpr int BR = Z + LANES_TT * CPB;        // B rows (TT, NS)
    static constexpr int CR = BR + LANES_TT * NS;        // C rows (TT, NS)
    static constexpr int FLOATS = CR + LANES_TT * NS;
};

// Dynamic shared memory of one block, in bytes (host code sizes the launch with the same formula).
template <int NS, int SPT, int TH, int STAGES>
constexpr int lanes_smem_bytes()
{
    constexpr int CPB = TH / (NS / SPT);
    return 4 * (STAGES * LanesStage<NS, CPB>::FLOATS + 2 * LANES_TT * CPB);
}

// STAGES tiles are in flight per block: with few blocks per SM (small B·E) the loads of a block must
// cover the memory latency on their own.
template <int NS, int SPT, int TH, int STAGES, bool SSD>
__device__ __forceinline__ void lanes_body(
    const float* __restrict__ u, const float* __restrict__ delta, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ Dv,
    const float* __restrict__ z, const float* __restrict__ dbias, int softplus,
    float* __restrict__ hState, float* __restrict__ out, int L, int E, int N, int H, int G)
{
    constexpr int LPC = NS / SPT;
    constexpr int CPB = TH / LPC;
    constexpr int TT = LANES_TT;
    constexpr int PER = TT / LPC;                     // tokens whose y each lane finishes
    static_assert(LPC <= 32 && (LPC & (LPC - 1)) == 0 && TT >= LPC && TH % LPC == 0, "lane layout");
    using S = LanesStage<NS, CPB>;
    SL_EXTERN_SHARED __align__(16) float smem[];
    float* stages = smem;
    float2* sxd = reinterpret_cast<float2*>(smem + STAGES * S::FLOATS);   // (TT, CPB): {δ or dA, δ·u}

    const int P = E / H;
    const int EG = E / G;
    const int blocksPerGroup = (EG + CPB - 1) / CPB;
    const int g = blockIdx.x / blocksPerGroup;
    const int e0 = g * EG + (blockIdx.x - g * blocksPerGroup) * CPB;   // first channel of the block
    const int nAct = min(CPB, (g + 1) * EG - e0);                       // channels of this group
    const int b = blockIdx.y;
    const int tid = threadIdx.x;
    const int c = tid / LPC, j = tid % LPC;
    const int e = e0 + c;
    const bool act = c < nAct;
    const size_t tokBase = (size_t)b * L;

    // 16-byte copies need aligned rows; otherwise 4-byte copies (same result, more instructions).
    const bool vecU = (E % 4 == 0) && (e0 % 4 == 0) && aligned16(u) && (z == nullptr || aligned16(z)) && CPB % 4 == 0;
    const bool vecD = vecU && P == 1 && aligned16(delta);
    const bool vecBC = (N % 4 == 0) && aligned16(Bm) && aligned16(Cm);

    auto load = [&](int tile, int slot) {
        float* st = stages + slot * S::FLOATS;
        const int t0 = tile * TT;
        if (vecU) {
            for (int i = tid; i < TT * CPB / 4; i += TH) {
                const int t = i / (CPB / 4), c4 = 4 * (i % (CPB / 4));
                const bool tv = t0 + t < L;
                const int bytes = tv ? 4 * max(0, min(4, nAct - c4)) : 0;
                const size_t off = bytes ? (tokBase + t0 + t) * E + e0 + c4 : 0;
                cp_async16(st + S::U + t * CPB + c4, u + off, bytes);
                if (z) cp_async16(st + S::Z + t * CPB + c4, z + off, bytes);
                if (vecD) cp_async16(st + S::D + t * CPB + c4, delta + off, bytes);
            }
        } else {
            for (int i = tid; i < TT * CPB; i += TH) {
                const int t = i / CPB, cc = i % CPB;
                const bool v = t0 + t < L && cc < nAct;
                const size_t off = v ? (tokBase + t0 + t) * E + e0 + cc : 0;
                cp_async4(st + S::U + i, u + off, v);
                if (z) cp_async4(st + S::Z + i, z + off, v);
            }
        }
        if (!vecD) {
            for (int i = tid; i < TT * CPB; i += TH) {
                const int t = i / CPB, cc = i % CPB;
                const bool v = t0 + t < L && cc < nAct;
                const size_t off = v ? (tokBase + t0 + t) * H + (e0 + cc) / P : 0;
                cp_async4(st + S::D + i, delta + off, v);
            }
        }
        if (vecBC) {
            for (int i = tid; i < TT * NS / 4; i += TH) {
                const int t = i / (NS / 4), n4 = 4 * (i % (NS / 4));
                const int bytes = (t0 + t < L) ? 4 * max(0, min(4, N - n4)) : 0;
                const size_t off = bytes ? ((tokBase + t0 + t) * G + g) * N + n4 : 0;
                cp_async16(st + S::BR + t * NS + n4, Bm + off, bytes);
                cp_async16(st + S::CR + t * NS + n4, Cm + off, bytes);
            }
        } else {
            for (int i = tid; i < TT * NS; i += TH) {
                const int t = i / NS, n = i % NS;
                const bool v = t0 + t < L && n < N;
                const size_t off = v ? ((tokBase + t0 + t) * G + g) * N + n : 0;
                cp_async4(st + S::BR + i, Bm + off, v);
                cp_async4(st + S::CR + i, Cm + off, v);
            }
        }
    };

    // Per-lane constants: this lane's states n = j·SPT + s.
    float hs[SPT], a2[SPT];
#pragma unroll
    for (int s = 0; s < SPT; ++s) {
        const int n = j * SPT + s;
        const bool v = act && n < N;
        hs[s] = v ? hState[((size_t)b * E + e) * N + n] : 0.f;
        a2[s] = (v && !SSD) ? A[(size_t)e * N + n] * SL_LOG2E : 0.f;
    }

    const int tiles = (L + TT - 1) / TT;
#pragma unroll
    for (int k = 0; k < STAGES - 1; ++k) {
        if (k < tiles) load(k, k);
        cp_async_commit();
    }

    for (int tile = 0; tile < tiles; ++tile) {
        const int slot = tile % STAGES;
        float* st = stages + slot * S::FLOATS;
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        // δ (softplus, bias), δ·u and, for SSD, the head's decay exp(A·δ): once per (token, channel).
        // Tokens past L (last tile) get δ = 0: decay 1, input 0, so the state passes unchanged.
        const int tv = min(TT, L - tile * TT);
        for (int i = tid; i < TT * CPB; i += TH) {
            const int cc = i % CPB;
            const int ec = min(e0 + cc, E - 1);
            const int hc = ec / P;
            float dl = st[S::D + i] + (dbias ? dbias[hc] : 0.f);
            if (softplus) dl = sl_softplus(dl);
            if (i / CPB >= tv) dl = 0.f;
            const float x = SSD ? exp2f(dl * (A[hc] * SL_LOG2E)) : dl;
            sxd[i] = make_float2(x, dl * st[S::U + i]);
        }
        __syncthreads();
        {   // refill the slot that the previous tile used
            const int next = tile + STAGES - 1;
            if (next < tiles) load(next, next % STAGES);
            cp_async_commit();
        }

        // Per sub-tile of SUB tokens: first everything off the recurrence's critical path (shared
        // loads, exp2, δu·B), then the chain h ← dA·h + δu·B (one FMA per token) and the C·h
        // partials. Written as two phases so the scheduler overlaps the next sub-tile's loads and
        // exp2 with this one's chain; a fused loop ran at one token per memory + MUFU latency.
        constexpr int SUB = 8;
        float pt[TT];
#pragma unroll
        for (int t0s = 0; t0s < TT; t0s += SUB) {
            float dA[SUB][SPT], bx[SUB][SPT], cv[SUB][SPT];
#pragma unroll
            for (int k = 0; k < SUB; ++k) {
                const int t = t0s + k;
                const float2 xd = sxd[t * CPB + c];
                float bb[SPT];
                if constexpr (SPT == 4) {
                    const float4 b4 = *reinterpret_cast<const float4*>(st + S::BR + t * NS + j * 4);
                    const float4 c4 = *reinterpret_cast<const float4*>(st + S::CR + t * NS + j * 4);
                    bb[0] = b4.x; bb[1] = b4.y; bb[2] = b4.z; bb[3] = b4.w;
                    cv[k][0] = c4.x; cv[k][1] = c4.y; cv[k][2] = c4.z; cv[k][3] = c4.w;
                } else if constexpr (SPT == 2) {
                    const float2 b2 = *reinterpret_cast<const float2*>(st + S::BR + t * NS + j * 2);
                    const float2 c2 = *reinterpret_cast<const float2*>(st + S::CR + t * NS + j * 2);
                    bb[0] = b2.x; bb[1] = b2.y; cv[k][0] = c2.x; cv[k][1] = c2.y;
                } else {
#pragma unroll
                    for (int s = 0; s < SPT; ++s) { bb[s] = st[S::BR + t * NS + j * SPT + s]; cv[k][s] = st[S::CR + t * NS + j * SPT + s]; }
                }
#pragma unroll
                for (int s = 0; s < SPT; ++s) {
                    dA[k][s] = SSD ? xd.x : exp2f(xd.x * a2[s]);
                    bx[k][s] = xd.y * bb[s];
                }
            }
#pragma unroll
            for (int k = 0; k < SUB; ++k) {
                float p = 0.f;
#pragma unroll
                for (int s = 0; s < SPT; ++s) {
                    hs[s] = fmaf(dA[k][s], hs[s], bx[k][s]);
                    p = fmaf(hs[s], cv[k][s], p);
                }
                pt[t0s + k] = p;
            }
        }
        // Transpose-reduction over the LPC lanes of the channel: afterwards lane j holds the full
        // sums of tokens j·PER .. j·PER + PER − 1.
        transpose_reduce<LPC / 2, TT>(pt, j);
        const float dd = (act && Dv) ? Dv[e / P] : 0.f;
#pragma unroll
        for (int k = 0; k < PER; ++k) {
            const int t = j * PER + k;
            const int i = t * CPB + c;
            float y = fmaf(dd, st[S::U + i], pt[k]);
            if (z) y *= sl_silu(st[S::Z + i]);
            st[S::U + i] = y;                  // u of this (token, channel) is not read again
        }
        __syncthreads();
        const int t0 = tile * TT;
        for (int i = tid; i < TT * CPB; i += TH) {
            const int t = i / CPB, cc = i % CPB;
            if (t0 + t < L && cc < nAct) out[(tokBase + t0 + t) * E + e0 + cc] = st[S::U + i];
        }
    }
    cp_async_wait<0>();
#pragma unroll
    for (int s = 0; s < SPT; ++s) {
        const int n = j * SPT + s;
        if (act && n < N) hState[((size_t)b * E + e) * N + n] = hs[s];
    }
}

}  // namespace sl

#define SL_LANES_ARGS const float* u, const float* delta, const float* A, const float* Bm, const float* Cm, \
    const float* D, const float* z, const float* dbias, int softplus, float* hState, float* out, int L, int E, int N, int H, int G
#define SL_LANES_PASS u, delta, A, Bm, Cm, D, z, dbias, softplus, hState, out, L, E, N, H, G

// Kernel names: {ss,ssd}_lanes_n{NS}_s{SPT}_t{TH}_p{STAGES}; TH threads per block, CPB = TH·SPT/NS
// channels; grid (G·⌈(E/G)/CPB⌉, B); dynamic shared memory lanes_smem_bytes<NS, SPT, TH, STAGES>(),
// exported as the constant ss_lanes_n{NS}_s{SPT}_t{TH}_p{STAGES}_smem (the host reads it).
#define SL_LANES_INSTANCE(NS, SPT, TH, ST) \
    extern "C" { __constant__ int ss_lanes_n##NS##_s##SPT##_t##TH##_p##ST##_smem = sl::lanes_smem_bytes<NS, SPT, TH, ST>(); } \
    extern "C" __global__ void __launch_bounds__(TH) ss_lanes_n##NS##_s##SPT##_t##TH##_p##ST(SL_LANES_ARGS) { sl::lanes_body<NS, SPT, TH, ST, false>(SL_LANES_PASS); } \
    extern "C" __global__ void __launch_bounds__(TH) ssd_lanes_n##NS##_s##SPT##_t##TH##_p##ST(SL_LANES_ARGS) { sl::lanes_body<NS, SPT, TH, ST, true>(SL_LANES_PASS); }

// The fatbin holds the variant the backend launches (CudaOps: Mamba-1 scan, 16 < N <= 64, B·E >=
// 3072, where it measured 1.0-1.8x faster than the chunk-parallel path on an H100); the standalone
// check (src/test/cuda) defines SL_LANES_VARIANTS itself to compare others.
#ifndef SL_LANES_VARIANTS
#define SL_LANES_VARIANTS SL_LANES_INSTANCE(64, 4, 128, 3)
#endif
SL_LANES_VARIANTS
