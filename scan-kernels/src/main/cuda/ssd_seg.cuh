// Mamba-2 SSD (spec ops §9) with the sequence split into segments inside a block: every input is read
// once and the per-element work is four fp32 instructions plus shared loads.
//
// Glossary: B batch, L tokens of this call, H heads, P head dim, E = H·P channels, N state size, NMAX
// N rounded up to the register width (16 or 64), G groups of B/C rows, PB channels (head dims) per
// block, S segments per tile, TSEG tokens per segment, T = S·TSEG tokens per tile, NCH chunks of the
// sequence scanned in parallel (1 = single pass).
// Layouts as in selective_scan.cuh: x, out (B, L, H, P); dt (B, L, H); A, D, dt bias (H); Bm, Cm
// (B, L, G, N); state (B, H, P, N) = (B, E, N); chunk states hloc (B, NCH, N, E); Σδ sdelta (B, NCH, E).
//
// Why: in SSD the decay a_t = exp(δ_t·A) is one scalar per (token, head), shared by all P·N state
// elements of the head. So the state entering any token of a tile follows from the states at segment
// starts by scalar factors: thread (segment s, channel p) runs its TSEG tokens from a zero state
// (h = a·h + δx·B, y = C·h: three instructions per element), the S segment end states are chained
// per element through the segment decays (S FMAs per element and tile), and the thread adds
// cum_t·(C_t·h_in) to each of its outputs, cum_t = Π a over the segment up to t (one more FMA per
// element). One exp per (token, head) in all. Blocks cover PB head dims of one head and walk the
// sequence tile by tile (B·H·⌈P/PB⌉ blocks); with too few of them for the GPU the sequence is also cut
// into NCH chunks (state pass, ss_combine, output pass, as in selective_scan.cuh).
// Per tile, 4 barriers: (A) tile landed, next tile's copies issued; (B) δ and a per token ready;
// (C) segment end states written; (D) segment start states and the carry ready.
#pragma once
#include "common.cuh"
#include "cp_async.cuh"

namespace sl {

template <int NMAX, int PB, int S, int TSEG>
struct SegLayout {
    static constexpr int T = S * TSEG;
    static constexpr int THREADS = PB * S;
    // One stage: x (T, PB), B (T, NMAX), C (T, NMAX), dt (T).
    static constexpr int STAGE = T * (PB + 2 * NMAX + 1);
    // 2 stages, (a, δ) pairs (T), cum (T), partial outputs (T, PB), segment states (S, NMAX, PB),
    // carry (NMAX, PB), per-segment Σδ (S, at least 4 floats).
    static constexpr int FLOATS = 2 * STAGE + 3 * T + T * PB + S * NMAX * PB + NMAX * PB + (S > 4 ? S : 4);
    static constexpr int BYTES = 4 * FLOATS;
};

template <int NMAX, int PB, int S, int TSEG, bool OUT>
__device__ __forceinline__ void ssd_seg_body(
    const float* __restrict__ x, const float* __restrict__ dt, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ D,
    const float* __restrict__ dbias, int softplus, float* __restrict__ hState, float* __restrict__ hloc,
    float* __restrict__ sdelta, float* __restrict__ out, int L, int E, int N, int H, int G, int nch, int chunkLen)
{
    using LY = SegLayout<NMAX, PB, S, TSEG>;
    constexpr int T = LY::T, NQ = NMAX / 4, NTH = LY::THREADS;
    static_assert(PB % 4 == 0 && T % 32 == 0 && 32 % TSEG == 0, "16-byte rows; whole warps in the per-token prep, segments inside a warp");
    SL_EXTERN_SHARED __align__(16) float smem[];

    const int tid = threadIdx.x, pc = tid % PB, s = tid / PB;
    const int P = E / H;
    const int blocksPerHead = (P + PB - 1) / PB;
    const int h = blockIdx.x / blocksPerHead;
    const int p0 = (blockIdx.x - h * blocksPerHead) * PB;
    const int p = p0 + pc;
    const bool act = p < P;
    const int g = h / (H / G);
    const int c = blockIdx.y, b = blockIdx.z;
    const int t0c = c * chunkLen;
    const int t1c = min(L, t0c + chunkLen);
    const float a2 = A[h] * SL_LOG2E;
    const float bias = dbias ? dbias[h] : 0.f;
    const float dd = (OUT && D) ? D[h] : 0.f;

    float2* sad = reinterpret_cast<float2*>(smem + 2 * LY::STAGE);   // (T): a, δ
    float* scum = smem + 2 * LY::STAGE + 2 * T;                       // (T): Π a within the segment up to t
    float* ysh = scum + T;                                            // (T, PB): outputs from a zero segment start
    float* hseg = ysh + T * PB;                                       // (S, NMAX, PB): end, then start states
    float* carry = hseg + S * NMAX * PB;                              // (NMAX, PB): state entering the tile
    float* segd = carry + NMAX * PB;                                  // (S): Σδ of each segment of the tile
    float sumDelta = 0.f;                                             // Σδ of the chunk so far (thread 0)

    for (int i = tid; i < NMAX * PB; i += NTH) {
        const int n = i / PB, pp = p0 + (i - (i / PB) * PB);
        float v = 0.f;
        if (OUT && pp < P && n < N) {
            const int e = h * P + pp;
            v = nch == 1 ? hState[((size_t)b * E + e) * N + n] : hloc[(((size_t)b * nch + c) * N + n) * E + e];
        }
        carry[i] = v;
    }

    auto al = [](const void* ptr) { return (reinterpret_cast<size_t>(ptr) & 15) == 0; };
    const bool xv4 = P % 4 == 0 && al(x);
    const bool bc4 = N % 4 == 0 && al(Bm) && al(Cm);
    // Copy plans of the 16-byte paths: a thread copies the same (row, column) slots in every tile, so
    // only the tile's base moves (the generic index math cost ~20 instructions per copy).
    constexpr int XQ = PB / 4, XR = NTH / XQ, XK = (T + XR - 1) / XR;   // x: quads per row, rows per pass, passes
    constexpr int BR = NTH / NQ, BK = (T + BR - 1) / BR;                // B/C: the same
    static_assert(NTH % XQ == 0 && NTH % NQ == 0 && T <= NTH, "copy plan; one thread per token in the prep");
    const size_t xRow = (size_t)H * P, bRow = (size_t)G * N;         // floats between tokens
    const int xt = tid / XQ, xq = tid - (tid / XQ) * XQ;
    const bool xqv = p0 + 4 * xq < P;
    const float* xsrc0 = x + ((size_t)b * L + t0c + xt) * xRow + (size_t)h * P + p0 + 4 * xq;
    const int bt0 = tid / NQ, bq = tid - (tid / NQ) * NQ;
    const bool bqv = 4 * bq < N;
    const size_t bcOff0 = ((size_t)b * L + t0c + bt0) * bRow + (size_t)g * N + 4 * bq;
    auto load = [&](int tile, int st) {
        float* xs = smem + st * LY::STAGE;
        float* bs = xs + T * PB;
        float* cs = bs + T * NMAX;
        float* ds = cs + T * NMAX;
        const int trel = tile * T;
        const int tb = t0c + trel;
        const int tv = t1c - tb;                                    // valid rows of this tile (may exceed T)
        if (xv4) {
            const float* src = xsrc0 + (size_t)trel * xRow;
#pragma unroll
            for (int k = 0; k < XK; ++k) {
                const int t = xt + k * XR;
                if (XK * XR > T && t >= T) break;
                const bool v = xqv && t < tv;
                sl_cp<16>(xs + t * PB + 4 * xq, v ? src + (size_t)(k * XR) * xRow : x, v);
            }
        } else {
            for (int i = tid; i < T * PB; i += NTH) {
                const int t = i / PB, pp = p0 + (i - t * PB);
                const bool v = t < tv && pp < P;
                sl_cp<4>(xs + i, v ? x + ((size_t)(b * L + tb + t) * H + h) * P + pp : x, v);
            }
        }
        if (bc4) {
            const size_t off = bcOff0 + (size_t)trel * bRow;
#pragma unroll
            for (int k = 0; k < BK; ++k) {
                const int t = bt0 + k * BR;
                if (BK * BR > T && t >= T) break;
                const bool v = bqv && t < tv;
                const size_t o = v ? off + (size_t)(k * BR) * bRow : 0;
                sl_cp<16>(bs + 4 * (t * NQ + bq), Bm + o, v);
                sl_cp<16>(cs + 4 * (t * NQ + bq), Cm + o, v);
            }
        } else {
            for (int i = tid; i < T * NMAX; i += NTH) {
                const int t = i / NMAX, n = i - t * NMAX;
                const bool v = t < tv && n < N;
                const size_t off = v ? ((size_t)(b * L + tb + t) * G + g) * N + n : 0;
                sl_cp<4>(bs + i, Bm + off, v);
                sl_cp<4>(cs + i, Cm + off, v);
            }
        }
        if (tid < T) {
            const bool v = tid < tv;
            sl_cp<4>(ds + tid, v ? dt + ((size_t)b * L + tb + tid) * H + h : dt, v);
        }
    };

    const int len = max(0, t1c - t0c);
    const int tiles = (len + T - 1) / T;
    if (tiles > 0) load(0, 0);
    sl_cp_commit();

    for (int tile = 0; tile < tiles; ++tile) {
        const int st = tile & 1;
        const float* xs = smem + st * LY::STAGE;
        const float* bs = xs + T * PB;
        const float* cs = bs + T * NMAX;
        const float* ds = cs + T * NMAX;
        const int tb = t0c + tile * T;
        sl_cp_wait_all();
        __syncthreads();                                            // (A)
        if (tile + 1 < tiles) load(tile + 1, st ^ 1);
        sl_cp_commit();
        if (tid < T) {
            float dl = ds[tid] + bias;
            if (softplus) dl = sl_softplus(dl);
            dl = tb + tid < t1c ? dl : 0.f;                         // padded tokens: a = 1, δx = 0
            // Π a over the segment up to t as exp2(A·Σδ): a segmented shuffle scan, one exp per token.
            float run = dl;
#pragma unroll
            for (int o = 1; o < TSEG; o <<= 1) {
                const float v = __shfl_up_sync(0xffffffffu, run, o);
                if ((tid % TSEG) >= o) run += v;
            }
            sad[tid] = make_float2(exp2f(dl * a2), dl);
            scum[tid] = exp2f(a2 * run);
            if (!OUT && tid % TSEG == TSEG - 1) segd[tid / TSEG] = run;   // Σδ of the segment
        }
        __syncthreads();                                            // (B)
        if (!OUT && tid == 0) {
            // Σδ of the chunk in a fixed order (a float atomicAdd would make the state pass's result
            // depend on the order the warps arrive in)
#pragma unroll
            for (int ss = 0; ss < S; ++ss) sumDelta += segd[ss];
        }
        // Segment from a zero state.
        const int ts = s * TSEG;
        float hh[NMAX];
#pragma unroll
        for (int n = 0; n < NMAX; ++n) hh[n] = 0.f;
#pragma unroll
        for (int k = 0; k < TSEG; ++k) {
            const int t = ts + k;
            const float2 ad = sad[t];
            const float xv = xs[t * PB + pc];
            const float dtx = ad.y * xv;
            const float4* bt = reinterpret_cast<const float4*>(bs + t * NMAX);
            const float4* ct = reinterpret_cast<const float4*>(cs + t * NMAX);
            float y0 = 0.f, y1 = 0.f;
#pragma unroll
            for (int q = 0; q < NQ; ++q) {
                const float4 bv = bt[q];
                hh[4 * q] = fmaf(ad.x, hh[4 * q], dtx * bv.x);
                hh[4 * q + 1] = fmaf(ad.x, hh[4 * q + 1], dtx * bv.y);
                hh[4 * q + 2] = fmaf(ad.x, hh[4 * q + 2], dtx * bv.z);
                hh[4 * q + 3] = fmaf(ad.x, hh[4 * q + 3], dtx * bv.w);
                if (OUT) {
                    const float4 cv = ct[q];
                    y0 = fmaf(cv.x, hh[4 * q], y0);
                    y1 = fmaf(cv.y, hh[4 * q + 1], y1);
                    y0 = fmaf(cv.z, hh[4 * q + 2], y0);
                    y1 = fmaf(cv.w, hh[4 * q + 3], y1);
                }
            }
            if (OUT) ysh[t * PB + pc] = y0 + y1;
        }
        {
            float* hs = hseg + s * NMAX * PB + pc;
#pragma unroll
            for (int n = 0; n < NMAX; ++n) hs[n * PB] = hh[n];
        }
        __syncthreads();                                            // (C)
        // Chain the segments per element: hseg[s] becomes the state entering segment s (loads first,
        // then S dependent FMAs).
        for (int i = tid; i < NMAX * PB; i += NTH) {
            float hend[S];
#pragma unroll
            for (int ss = 0; ss < S; ++ss) hend[ss] = hseg[ss * NMAX * PB + i];
            float hc = carry[i];
#pragma unroll
            for (int ss = 0; ss < S; ++ss) {
                hseg[ss * NMAX * PB + i] = hc;
                hc = fmaf(scum[ss * TSEG + TSEG - 1], hc, hend[ss]);
            }
            carry[i] = hc;
        }
        __syncthreads();                                            // (D)
        if (OUT) {
            const float* hs = hseg + s * NMAX * PB + pc;
            float* outT = out + ((size_t)b * L + tb + ts) * xRow + (size_t)h * P + p;
            float hin[NMAX];
#pragma unroll
            for (int n = 0; n < NMAX; ++n) hin[n] = hs[n * PB];
#pragma unroll
            for (int k = 0; k < TSEG; ++k) {
                const int t = ts + k;
                const float4* ct = reinterpret_cast<const float4*>(cs + t * NMAX);
                float d0 = 0.f, d1 = 0.f;
#pragma unroll
                for (int q = 0; q < NQ; ++q) {
                    const float4 cv = ct[q];
                    d0 = fmaf(cv.x, hin[4 * q], d0);
                    d1 = fmaf(cv.y, hin[4 * q + 1], d1);
                    d0 = fmaf(cv.z, hin[4 * q + 2], d0);
                    d1 = fmaf(cv.w, hin[4 * q + 3], d1);
                }
                const float yv = fmaf(dd, xs[t * PB + pc], fmaf(scum[t], d0 + d1, ysh[t * PB + pc]));
                if (act && tb + t < t1c) outT[(size_t)k * xRow] = yv;
            }
        }
    }
    sl_cp_wait_all();
    __syncthreads();
    for (int i = tid; i < NMAX * PB; i += NTH) {
        const int n = i / PB, pp = p0 + (i - (i / PB) * PB);
        if (pp >= P || n >= N) continue;
        const int e = h * P + pp;
        if (OUT) {
            if (nch == 1) hState[((size_t)b * E + e) * N + n] = carry[i];
        } else {
            hloc[(((size_t)b * nch + c) * N + n) * E + e] = carry[i];
        }
    }
    if (!OUT) {
        if (tid == 0) segd[0] = sumDelta;
        __syncthreads();
        if (tid < PB && act) sdelta[((size_t)b * nch + c) * E + h * P + p] = segd[0];
    }
}

}  // namespace sl

#define SL_SEG_ARGS const float* x, const float* dt, const float* A, const float* Bm, const float* Cm, \
    const float* D, const float* dbias, int softplus, float* hState, float* hloc, float* sdelta, float* out, \
    int L, int E, int N, int H, int G, int nch, int chunkLen
#define SL_SEG_PASS x, dt, A, Bm, Cm, D, dbias, softplus, hState, hloc, sdelta, out, L, E, N, H, G, nch, chunkLen

// Kernel names: ssd_seg_{state,out}_n{NMAX}_p{PB}_s{S}_t{TSEG}; blockDim.x = PB·S; grid (H·⌈P/PB⌉,
// NCH, B); dynamic shared memory sl::SegLayout<NMAX, PB, S, TSEG>::BYTES, exported as the constant
// ssd_seg_n{NMAX}_p{PB}_s{S}_t{TSEG}_smem so that the host reads it instead of repeating the layout.
#define SL_SEG_INSTANCE(NM, PBV, SV, TS, MINB) \
    extern "C" { __constant__ int ssd_seg_n##NM##_p##PBV##_s##SV##_t##TS##_smem = sl::SegLayout<NM, PBV, SV, TS>::BYTES; } \
    extern "C" __global__ void __launch_bounds__(PBV * SV, MINB) ssd_seg_state_n##NM##_p##PBV##_s##SV##_t##TS(SL_SEG_ARGS) \
    { sl::ssd_seg_body<NM, PBV, SV, TS, false>(SL_SEG_PASS); } \
    extern "C" __global__ void __launch_bounds__(PBV * SV, MINB) ssd_seg_out_n##NM##_p##PBV##_s##SV##_t##TS(SL_SEG_ARGS) \
    { sl::ssd_seg_body<NM, PBV, SV, TS, true>(SL_SEG_PASS); }

#ifndef SL_SEG_VARIANTS
#define SL_SEG_VARIANTS SL_SEG_INSTANCE(16, 32, 8, 8, 3) SL_SEG_INSTANCE(64, 32, 4, 8, 1)
#endif
SL_SEG_VARIANTS
