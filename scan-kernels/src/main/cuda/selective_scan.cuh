// Mamba-1 selective scan (spec ops §8.1) and Mamba-2 SSD (§9), both with an initial state in and the
// final state out. They share one body: SSD is a selective scan whose channels e = h·P + p share the
// head's dt, scalar A and D, and whose B/C rows come from the head's group.
//
// Glossary: B batch, L tokens, E channels (= H·P for SSD), N state size, H heads (= E for the scan,
// P = 1), G groups of B/C rows, NCH sequence chunks scanned in parallel, CL chunk length.
// Layouts: u/x, delta(scan), z, out (B, L, E); dt (B, L, H); Bm, Cm (B, L, G, N); state (B, E, N);
// chunk states hloc (B, NCH, N, E) (e fastest: coalesced); chunk Δ-sums sdelta (B, NCH, E).
//
// Why chunks: one thread per (b, e) channel is the bandwidth-efficient scan (h[N] in registers, each
// token loaded once, coalesced over e), but B·E threads do not fill an H100 for small batches. So the
// sequence is cut into NCH chunks scanned in parallel in three launches:
//   1. state pass: each chunk from a zero state -> its local end state and Σδ (the decay of a
//      whole chunk is exp(A·Σδ), so no product of N values per token is needed);
//   2. combine: sequential over chunks per (b, n, e): incoming state of every chunk, final state;
//   3. output pass: each chunk again from its true incoming state, writing y.
// With NCH = 1 only pass 3 runs (reading the initial state and writing the final state itself).
#pragma once
#include "common.cuh"
#include "cp_async.cuh"

namespace sl {

constexpr int SCAN_TS = 32;      // tokens of B/C staged in shared memory per step
constexpr int SCAN_PF = 8;       // tokens of u/δ/z prefetched into registers per thread

template <int NMAX, bool OUT, bool SSD>
__device__ __forceinline__ void scan_body(
    const float* __restrict__ u, const float* __restrict__ delta, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ D,
    const float* __restrict__ z, const float* __restrict__ dbias, int softplus,
    float* __restrict__ hState, float* __restrict__ hloc, float* __restrict__ sdelta, float* __restrict__ out,
    int L, int E, int N, int H, int G, int nch, int chunkLen)
{
    // B/C rows zero-padded to NMAX and read as float4: shared-memory loads share the issue queue
    // with the exp2 unit, so one 16-byte load per 4 states instead of one per state.
    // Two stages: the next step's rows are copied (cp.async) while this step computes, so the
    // global-load latency no longer stalls every 32 tokens.
    __shared__ __align__(16) float sB[2][SCAN_TS * NMAX];
    __shared__ __align__(16) float sC[2][OUT ? SCAN_TS * NMAX : 4];
    const int P = E / H;                  // channels per head (1 for the Mamba-1 scan)
    const int EG = E / G;                 // channels per B/C group
    const int blocksPerGroup = (EG + blockDim.x - 1) / blockDim.x;
    const int g = blockIdx.x / blocksPerGroup;
    const int e = g * EG + (blockIdx.x - g * blocksPerGroup) * blockDim.x + threadIdx.x;
    const bool act = (e < (g + 1) * EG);
    const int c = blockIdx.y, b = blockIdx.z;
    const int h = act ? e / P : 0;
    const int t0c = c * chunkLen;
    const int t1c = min(L, t0c + chunkLen);

    float hs[NMAX], a2[NMAX];
    float a2s = 0.f;
#pragma unroll
    for (int n = 0; n < NMAX; ++n) { hs[n] = 0.f; a2[n] = 0.f; }
    if (act) {
        if (SSD) a2s = A[h] * SL_LOG2E;
#pragma unroll
        for (int n = 0; n < NMAX; ++n) {
            if (n < N) {
                if (!SSD) a2[n] = A[(size_t)e * N + n] * SL_LOG2E;
                if (OUT) hs[n] = nch == 1 ? hState[((size_t)b * E + e) * N + n]
                                          : hloc[(((size_t)b * nch + c) * N + n) * E + e];
            }
        }
    }
    const float db = (act && dbias) ? dbias[h] : 0.f;
    const float dd = (act && D) ? D[h] : 0.f;
    float sumd = 0.f;

    auto stage = [&](int ts0, int buf) {
        const int ntn = min(SCAN_TS, t1c - ts0);
        for (int i = threadIdx.x; i < SCAN_TS * NMAX; i += blockDim.x) {
            const int tt = i / NMAX, n = i - tt * NMAX;
            const bool v = tt < ntn && n < N;          // zero-filled: padded states have B = C = 0
            const size_t src = v ? (((size_t)b * L + ts0 + tt) * G + g) * N + n : 0;
            sl_cp<4>(&sB[buf][i], Bm + src, v);
            if (OUT) sl_cp<4>(&sC[buf][i], Cm + src, v);
        }
    };
    if (t0c < t1c) stage(t0c, 0);
    sl_cp_commit();
    int buf = 0;
    for (int t0 = t0c; t0 < t1c; t0 += SCAN_TS, buf ^= 1) {
        const int nt = min(SCAN_TS, t1c - t0);
        sl_cp_wait_all();
        __syncthreads();                      // this step's rows landed; the other stage is free
        if (t0 + SCAN_TS < t1c) stage(t0 + SCAN_TS, buf ^ 1);
        sl_cp_commit();
        if (!act) continue;
        for (int s = 0; s < nt; s += SCAN_PF) {
            float ru[SCAN_PF], rd[SCAN_PF], rz[SCAN_PF];
#pragma unroll
            for (int k = 0; k < SCAN_PF; ++k) {
                ru[k] = 0.f; rd[k] = 0.f; rz[k] = 0.f;
                if (s + k < nt) {
                    const size_t tok = (size_t)b * L + t0 + s + k;
                    ru[k] = u[tok * E + e];
                    rd[k] = delta[tok * H + h];
                    if (OUT && z) rz[k] = z[tok * E + e];
                }
            }
#pragma unroll
            for (int k = 0; k < SCAN_PF; ++k) {
                if (s + k < nt) {
                    float dl = rd[k] + db;
                    if (softplus) dl = sl_softplus(dl);
                    const float du = dl * ru[k];
                    const float4* bt = reinterpret_cast<const float4*>(sB[buf] + (s + k) * NMAX);
                    const float4* ct = reinterpret_cast<const float4*>(sC[buf] + (OUT ? (s + k) * NMAX : 0));
                    const float dAs = SSD ? exp2f(dl * a2s) : 0.f;
                    float y = 0.f, y2 = 0.f;   // two partial sums: shorter FMA dependency chain
#pragma unroll
                    for (int n4 = 0; n4 < NMAX / 4; ++n4) {
                        if (4 * n4 < N) {      // padded states (N..) have B = C = 0 and stay 0
                            const float4 bv = bt[n4];
                            const float bb[4] = {bv.x, bv.y, bv.z, bv.w};
                            float cc[4] = {0.f, 0.f, 0.f, 0.f};
                            if (OUT) { const float4 cv = ct[n4]; cc[0] = cv.x; cc[1] = cv.y; cc[2] = cv.z; cc[3] = cv.w; }
#pragma unroll
                            for (int j = 0; j < 4; ++j) {
                                const int n = 4 * n4 + j;
                                const float dA = SSD ? dAs : exp2f(dl * a2[n]);
                                hs[n] = fmaf(dA, hs[n], du * bb[j]);
                                if (OUT) { if (j & 1) y2 = fmaf(hs[n], cc[j], y2); else y = fmaf(hs[n], cc[j], y); }
                            }
                        }
                    }
                    y += y2;
                    if (!OUT) {
                        sumd += dl;
                    } else {
                        y = fmaf(dd, ru[k], y);
                        if (z) y *= sl_silu(rz[k]);
                        out[((size_t)b * L + t0 + s + k) * E + e] = y;
                    }
                }
            }
        }
    }
    if (!act) return;
    if (!OUT) {
#pragma unroll
        for (int n = 0; n < NMAX; ++n)
            if (n < N) hloc[(((size_t)b * nch + c) * N + n) * E + e] = hs[n];
        sdelta[((size_t)b * nch + c) * E + e] = sumd;
    } else if (nch == 1) {
#pragma unroll
        for (int n = 0; n < NMAX; ++n)
            if (n < N) hState[((size_t)b * E + e) * N + n] = hs[n];
    }
}

}  // namespace sl

#define SL_SCAN_ARGS const float* u, const float* delta, const float* A, const float* Bm, const float* Cm, \
    const float* D, const float* z, const float* dbias, int softplus, float* hState, float* hloc, float* sdelta, \
    float* out, int L, int E, int N, int H, int G, int nch, int chunkLen
#define SL_SCAN_PASS u, delta, A, Bm, Cm, D, z, dbias, softplus, hState, hloc, sdelta, out, L, E, N, H, G, nch, chunkLen

#define SL_SCAN_INSTANCE(NM) \
    extern "C" __global__ void __launch_bounds__(128) ss_state_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, false, false>(SL_SCAN_PASS); } \
    extern "C" __global__ void __launch_bounds__(128) ss_out_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, true, false>(SL_SCAN_PASS); } \
    extern "C" __global__ void __launch_bounds__(128) ssd_state_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, false, true>(SL_SCAN_PASS); } \
    extern "C" __global__ void __launch_bounds__(128) ssd_out_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, true, true>(SL_SCAN_PASS); }

// State sizes are rounded up to one of these register-array widths (N <= 64 supported).
SL_SCAN_INSTANCE(8)
SL_SCAN_INSTANCE(16)
SL_SCAN_INSTANCE(64)

// Pass 2: per (b, n, e), walk the chunks in order. hloc[c] is replaced by chunk c's incoming state;
// the state after the last chunk goes to hState. aPerHead: A is (H) (SSD) instead of (E, N).
extern "C" __global__ void ss_combine(const float* __restrict__ A, int aPerHead, float* __restrict__ hState,
                                      float* __restrict__ hloc, const float* __restrict__ sdelta,
                                      int Bsz, int E, int N, int H, int nch)
{
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    const size_t total = (size_t)Bsz * N * E;
    if (i >= total) return;
    const int e = (int)(i % E);
    const int n = (int)((i / E) % N);
    const int b = (int)(i / ((size_t)E * N));
    const float a2 = (aPerHead ? A[e / (E / H)] : A[(size_t)e * N + n]) * SL_LOG2E;
    const size_t so = ((size_t)b * E + e) * N + n;
    float hin = hState[so];
    // Loads run 8 chunks ahead of the stores (different chunks): not one memory latency per chunk.
    for (int c0 = 0; c0 < nch; c0 += 8) {
        float hl[8], dec[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            if (c0 + j < nch) {
                hl[j] = hloc[(((size_t)b * nch + c0 + j) * N + n) * E + e];
                dec[j] = exp2f(a2 * sdelta[((size_t)b * nch + c0 + j) * E + e]);
            }
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            if (c0 + j < nch) {
                hloc[(((size_t)b * nch + c0 + j) * N + n) * E + e] = hin;
                hin = fmaf(dec[j], hin, hl[j]);
            }
        }
    }
    hState[so] = hin;
}
