// Tried and dropped (H100, NOTES.md "One-launch scan with decoupled look-back: tried"): a single-launch
// chunk-parallel selective scan / SSD with decoupled look-back, the three launches of the chunked form
// (state pass, ss_combine, output pass; selective_scan.cuh) in one, for shapes whose channels alone do
// not fill the GPU. It was no faster than the chunked form at any chunk length (0.42-1.01x): the chunked
// form at B = 1 is bound by the work of its two passes, not by reading the inputs twice. Its results
// also depend on timing in the last bits (whether a block finds its predecessor's inclusive state or
// folds aggregates), which the backend's bitwise-repeatable paths do not. Kept with its harness
// (scan_lookback_check.cu) as the record of the measurement.
//
// Glossary as in selective_scan.cuh: B batch, L tokens, E channels, N state size, NCH chunks, CL chunk
// length, GX channel blocks (of blockDim.x channels) per batch row. A tile is (chunk c, row b, block bx).
// Buffers: hloc (B, NCH, N, E) each chunk's local end state from zero ("aggregate"), sdelta (B, NCH, E)
// its Σδ, hinc (B, NCH, N, E) its end state from the true incoming state ("inclusive"); tiles[0] a tile
// counter, tiles[1 + t] tile t's flag (0 nothing yet, 1 aggregate published, 2 inclusive published). The
// caller zeroes tiles[] before every launch. Tiles are claimed in order from the counter, so every tile a
// block waits on belongs to a block that is already running or done.
//
// Incoming state of chunk c: walking back j = c-1, c-2, ...: an inclusive state ends the walk, an aggregate
// is folded in (acc += mul·agg_j, mul *= exp(A·Σδ_j)). Chunk 0 knows its incoming state (the initial one)
// and publishes its inclusive state only, so no walk goes past it and the initial state, which the last
// chunk overwrites with the final one, is read by chunk 0 alone.
#pragma once
#include "../../main/cuda/selective_scan.cuh"

// Flags between the blocks of one grid: a release store once the block's payload is written, an acquire
// load before another block reads that payload.
__device__ __forceinline__ void sl_st_release(unsigned* p, unsigned v)
{
    asm volatile("st.release.gpu.global.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}
__device__ __forceinline__ unsigned sl_ld_acquire(const unsigned* p)
{
    unsigned v;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}

namespace sl {

template <int NMAX, bool SSD, int PF, bool DB>
__device__ __forceinline__ void scan_lookback(
    const float* __restrict__ u, const float* __restrict__ delta, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ D,
    const float* __restrict__ z, const float* __restrict__ dbias, int softplus,
    float* __restrict__ hState, float* __restrict__ hloc, float* __restrict__ sdelta, float* __restrict__ out,
    int L, int E, int N, int H, int G, int nch, int chunkLen, unsigned* __restrict__ tiles, float* __restrict__ hinc)
{
    __shared__ unsigned sTile, sFlag;
    if (threadIdx.x == 0) sTile = atomicAdd(tiles, 1u);
    __syncthreads();
    const unsigned t = sTile;
    const int EG = E / G;
    const int gx = G * ((EG + blockDim.x - 1) / blockDim.x);
    const int rows = (int)(gridDim.x / ((unsigned)nch * gx));   // B
    const unsigned perChunk = (unsigned)rows * gx;
    const int c = (int)(t / perChunk);
    const int b = (int)((t - c * perChunk) / gx);
    const int bx = (int)(t - c * perChunk - (unsigned)b * gx);
    const ScanLane ln = scan_lane(bx, E, H, G);
    const int e = ln.e;
    auto at = [&](int j, int n) { return (((size_t)b * nch + j) * N + n) * E + e; };

    float hs[NMAX];
#pragma unroll
    for (int n = 0; n < NMAX; ++n) hs[n] = 0.f;
    // the aggregate: this chunk from a zero state
    const float sd = scan_walk<NMAX, false, SSD, PF, DB>(ln, c, b, hs, u, delta, A, Bm, Cm, D, z, dbias, softplus,
                                                         nullptr, L, E, N, H, G, chunkLen);
    float a2[NMAX];
#pragma unroll
    for (int n = 0; n < NMAX; ++n)
        a2[n] = (ln.act && n < N) ? (SSD ? A[ln.h] : A[(size_t)e * N + n]) * SL_LOG2E : 0.f;

    float hin[NMAX];   // the chunk's incoming state
    if (c == 0) {
#pragma unroll
        for (int n = 0; n < NMAX; ++n) hin[n] = (ln.act && n < N) ? hState[((size_t)b * E + e) * N + n] : 0.f;
    } else {
        if (ln.act) {
#pragma unroll
            for (int n = 0; n < NMAX; ++n)
                if (n < N) hloc[at(c, n)] = hs[n];
            sdelta[((size_t)b * nch + c) * E + e] = sd;
        }
        __threadfence();
        __syncthreads();
        if (threadIdx.x == 0) sl_st_release(&tiles[1 + t], 1u);
        float acc[NMAX], mul[NMAX];
#pragma unroll
        for (int n = 0; n < NMAX; ++n) { acc[n] = 0.f; mul[n] = 1.f; }
        for (int j = c - 1;; --j) {
            const unsigned tj = t - (unsigned)(c - j) * perChunk;
            if (threadIdx.x == 0) {
                unsigned f;
                while ((f = sl_ld_acquire(&tiles[1 + tj])) == 0u) {}
                sFlag = f;
            }
            __syncthreads();
            const unsigned f = sFlag;
            __syncthreads();   // every thread has read sFlag before thread 0 writes it again
            // L2 loads (ld.cg): L1 is not coherent across SMs, and another block wrote these
            if (f == 2u) {
#pragma unroll
                for (int n = 0; n < NMAX; ++n) hin[n] = (ln.act && n < N) ? fmaf(mul[n], __ldcg(&hinc[at(j, n)]), acc[n]) : 0.f;
                break;
            }
            const float sdj = ln.act ? __ldcg(&sdelta[((size_t)b * nch + j) * E + e]) : 0.f;
#pragma unroll
            for (int n = 0; n < NMAX; ++n) {
                if (ln.act && n < N) {
                    acc[n] = fmaf(mul[n], __ldcg(&hloc[at(j, n)]), acc[n]);
                    mul[n] *= exp2f(a2[n] * sdj);
                }
            }
        }
    }
    // the inclusive state: incoming state carried over the chunk, plus the aggregate
    if (ln.act) {
#pragma unroll
        for (int n = 0; n < NMAX; ++n)
            if (n < N) hinc[at(c, n)] = fmaf(exp2f(a2[n] * sd), hin[n], hs[n]);
    }
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) sl_st_release(&tiles[1 + t], 2u);

#pragma unroll
    for (int n = 0; n < NMAX; ++n) hs[n] = hin[n];
    scan_walk<NMAX, true, SSD, PF, DB>(ln, c, b, hs, u, delta, A, Bm, Cm, D, z, dbias, softplus, out, L, E, N, H, G, chunkLen);
    if (c == nch - 1 && ln.act) {
#pragma unroll
        for (int n = 0; n < NMAX; ++n)
            if (n < N) hState[((size_t)b * E + e) * N + n] = hs[n];
    }
}

}  // namespace sl

#define SL_LOOKBACK_INSTANCE(NM, PFV, DBV) \
    extern "C" __global__ void __launch_bounds__(128) ss_lb_n##NM(SL_SCAN_ARGS, unsigned* tiles, float* hinc) \
    { sl::scan_lookback<NM, false, PFV, DBV>(SL_SCAN_PASS, tiles, hinc); } \
    extern "C" __global__ void __launch_bounds__(128) ssd_lb_n##NM(SL_SCAN_ARGS, unsigned* tiles, float* hinc) \
    { sl::scan_lookback<NM, true, PFV, DBV>(SL_SCAN_PASS, tiles, hinc); }

// The widths whose chunked builds load a group ahead (selective_scan.cuh).
SL_LOOKBACK_INSTANCE(8, 4, true)
SL_LOOKBACK_INSTANCE(16, 4, true)
