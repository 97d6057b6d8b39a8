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
#include <type_traits>
#include "common.cuh"
#include "cp_async.cuh"

namespace sl {

constexpr int SCAN_TS = 32;      // tokens of B/C staged in shared memory per step
constexpr int SSD_HMAX = 16;     // heads per block whose δ the SSD shares through shared memory

// The channel a thread of channel block bx scans: channel blocks run over the B/C groups, each group's
// EG = E/G channels in blocks of blockDim.x (the last one partly idle: act = false).
struct ScanLane { int g, e, h; bool act; };
__device__ __forceinline__ ScanLane scan_lane(int bx, int E, int H, int G)
{
    const int P = E / H, EG = E / G;
    const int blocksPerGroup = (EG + blockDim.x - 1) / blockDim.x;
    const int g = bx / blocksPerGroup;
    const int e = g * EG + (bx - g * blocksPerGroup) * blockDim.x + threadIdx.x;
    const bool act = e < (g + 1) * EG;
    return {g, e, act ? e / P : 0, act};
}

// Copies (cp.async) the B rows, and C rows with WITH_C, of the ntn tokens from ts0 of group g into a step's
// shared-memory rows of NMAX states, zero-filled past N and past ntn (padded states have B = C = 0).
template <int NMAX, bool WITH_C>
__device__ __forceinline__ void scan_stage_rows(float* sB, float* sC, const float* __restrict__ Bm,
                                                const float* __restrict__ Cm, int b, int L, int G, int g, int N,
                                                int ts0, int ntn)
{
    for (int i = threadIdx.x; i < SCAN_TS * NMAX; i += blockDim.x) {
        const int tt = i / NMAX, n = i - tt * NMAX;
        const bool v = tt < ntn && n < N;
        const size_t src = v ? (((size_t)b * L + ts0 + tt) * G + g) * N + n : 0;
        sl_cp<4>(&sB[i], Bm + src, v);
        if (WITH_C) sl_cp<4>(&sC[i], Cm + src, v);
    }
}

// Walks chunk c of batch row b for the lane ln (scan_lane) from the state hs (updated in place): outputs (OUT)
// or Σδ of the chunk (returned; state passes). Every thread of the block calls it (it has barriers).
// PF: tokens of u/δ/z in registers per group (more: more independent work per warp, more registers).
// DB: the next group's u/δ/z load while this group computes, so a whole group of work hides their
// latency (without it, waiting on those loads was a third of the stall cycles at 16 warps per SM).
template <int NMAX, bool OUT, bool SSD, int PF, bool DB>
__device__ __forceinline__ float scan_walk(
    const ScanLane ln, int c, int b, float (&hs)[NMAX],
    const float* __restrict__ u, const float* __restrict__ delta, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ D,
    const float* __restrict__ z, const float* __restrict__ dbias, int softplus, float* __restrict__ out,
    int L, int E, int N, int H, int G, int chunkLen)
{
    // B/C rows zero-padded to NMAX and read as float4: shared-memory loads share the issue queue
    // with the exp2 unit, so one 16-byte load per 4 states instead of one per state.
    // Two stages: the next step's rows are copied (cp.async) while this step computes, so the
    // global-load latency no longer stalls every 32 tokens.
    __shared__ __align__(16) float sB[2][SCAN_TS * NMAX];
    __shared__ __align__(16) float sC[2][OUT ? SCAN_TS * NMAX : 4];
    // SSD: δ and exp2(δ·A) of each (token, head) of the step, computed once per head instead of once
    // per channel (softplus and the exp were a fifth of the one-pass kernel's instructions at P 64).
    __shared__ float2 sDA[SSD ? SCAN_TS * SSD_HMAX : 1];
    const int P = E / H;                  // channels per head (1 for the Mamba-1 scan)
    const int EG = E / G;                 // channels per B/C group
    const int g = ln.g, e = ln.e, h = ln.h;
    const bool act = ln.act;
    // heads of this block's channels: hB of them from hLo (SSD: shared δ when hB <= SSD_HMAX)
    const int eFirst = e - (int)threadIdx.x;
    const int hLo = eFirst / P, hB = (min(eFirst + (int)blockDim.x, (g + 1) * EG) - 1) / P - hLo + 1;
    const bool sharedDt = SSD && hB <= SSD_HMAX;
    const int hOff = act ? h - hLo : 0;
    const int t0c = c * chunkLen;
    const int t1c = min(L, t0c + chunkLen);

    float a2[NMAX];
    float a2s = 0.f;
#pragma unroll
    for (int n = 0; n < NMAX; ++n) a2[n] = 0.f;
    if (act) {
        if (SSD) a2s = A[h] * SL_LOG2E;
#pragma unroll
        for (int n = 0; n < NMAX; ++n)
            if (!SSD && n < N) a2[n] = A[(size_t)e * N + n] * SL_LOG2E;
    }
    const float db = (act && dbias) ? dbias[h] : 0.f;
    const float dd = (act && D) ? D[h] : 0.f;
    float sumd = 0.f;

    auto stage = [&](int ts0, int buf) {
        scan_stage_rows<NMAX, OUT>(sB[buf], sC[buf], Bm, Cm, b, L, G, g, N, ts0, min(SCAN_TS, t1c - ts0));
    };
    // One token of this thread's channel from its u, raw δ and z: the state update, then y (output pass)
    // or Σδ (state pass). bt, ct: the token's B/C rows in shared memory.
    // tt: the token's index in its step (SDT: its δ and decay come from sDA).
    auto token = [&](auto spTag, auto zTag, auto dtTag, int tt, const float* bt, const float* ct, float uu, float dr, float zz,
                     float* yo) {
        constexpr bool SP = decltype(spTag)::value, HZ = decltype(zTag)::value, SDT = decltype(dtTag)::value;
        float dl, dAs = 0.f;
        if constexpr (SDT) {
            const float2 v = sDA[tt * hB + hOff];
            dl = v.x;
            dAs = v.y;
        } else {
            dl = dr + db;
            if constexpr (SP) dl = sl_softplus(dl);
            if constexpr (SSD) dAs = exp2f(dl * a2s);
        }
        const float du = dl * uu;
        float y = 0.f, y2 = 0.f;   // two partial sums: shorter FMA dependency chain
#pragma unroll
        for (int n4 = 0; n4 < NMAX / 4; ++n4) {
            // padded states (N..) have B = C = 0 and stay 0; only the 64-wide build skips them
            if (NMAX <= 16 || 4 * n4 < N) {
                const float4 bv = reinterpret_cast<const float4*>(bt)[n4];
                const float bb[4] = {bv.x, bv.y, bv.z, bv.w};
                float cc[4] = {0.f, 0.f, 0.f, 0.f};
                if (OUT) { const float4 cv = reinterpret_cast<const float4*>(ct)[n4]; cc[0] = cv.x; cc[1] = cv.y; cc[2] = cv.z; cc[3] = cv.w; }
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
            y = fmaf(dd, uu, y);
            if constexpr (HZ) y *= sl_silu(zz);
            *yo = y;
        }
    };

    // Start of the step at t0: its B/C rows landed, the next step's copies go into the other stage.
    // SSD with shared δ: every thread takes part (a second barrier makes sDA visible).
    auto step_start = [&](int t0, int buf) {
        sl_cp_wait_all();
        __syncthreads();                          // this step's rows landed; the other stage is free
        if (t0 + SCAN_TS < t1c) stage(t0 + SCAN_TS, buf ^ 1);
        sl_cp_commit();
        if (sharedDt) {
            const int ntn = min(SCAN_TS, t1c - t0);
            for (int i = threadIdx.x; i < ntn * hB; i += blockDim.x) {
                const int tt = i / hB, hh = hLo + (i - tt * hB);
                float dl = delta[((size_t)b * L + t0 + tt) * H + hh] + (dbias ? dbias[hh] : 0.f);
                if (softplus) dl = sl_softplus(dl);
                sDA[i] = make_float2(dl, exp2f(dl * A[hh] * SL_LOG2E));
            }
            __syncthreads();
        }
    };

    // The sequence in steps of SCAN_TS tokens (B/C rows staged); inside a step, full groups of PF
    // tokens run without per-token checks and with running pointers (the per-token branches and index
    // math were about a sixth of the instructions), the rest token by token. Width 64 only: walk_ahead
    // (below) is the same with the loads a group ahead, which costs the 64-wide build 20% at SSD.
    auto walk = [&](auto spTag, auto zTag, auto dtTag) {
        constexpr bool HZ = decltype(zTag)::value, SDT = decltype(dtTag)::value;
        if (t0c < t1c) stage(t0c, 0);
        sl_cp_commit();
        int buf = 0;
        const size_t sE = (size_t)E, sH = (size_t)H;
        for (int t0 = t0c; t0 < t1c; t0 += SCAN_TS, buf ^= 1) {
            const int nt = min(SCAN_TS, t1c - t0);
            step_start(t0, buf);
            if (!act) continue;
            const size_t tok0 = (size_t)b * L + t0;
            const float* up = u + tok0 * sE + e;
            const float* dp = delta + tok0 * sH + h;
            const float* zp = HZ ? z + tok0 * sE + e : nullptr;
            float* op = OUT ? out + tok0 * sE + e : nullptr;
            const float* bS = sB[buf];
            const float* cS = sC[buf];
            int s = 0;
            for (; s + PF <= nt; s += PF) {
                float ru[PF], rd[PF], rz[PF];
#pragma unroll
                for (int k = 0; k < PF; ++k) {
                    ru[k] = up[k * sE];
                    rd[k] = SDT ? 0.f : dp[k * sH];
                    rz[k] = HZ ? zp[k * sE] : 0.f;
                }
#pragma unroll
                for (int k = 0; k < PF; ++k)
                    token(spTag, zTag, dtTag, s + k, bS + (s + k) * NMAX, cS + (OUT ? (s + k) * NMAX : 0), ru[k], rd[k], rz[k],
                          OUT ? op + k * sE : nullptr);
                up += PF * sE;
                dp += PF * sH;
                if (HZ) zp += PF * sE;
                if (OUT) op += PF * sE;
            }
#pragma unroll 1
            for (; s < nt; ++s) {
                token(spTag, zTag, dtTag, s, bS + s * NMAX, cS + (OUT ? s * NMAX : 0), *up, SDT ? 0.f : *dp, HZ ? *zp : 0.f, op);
                up += sE;
                dp += sH;
                if (HZ) zp += sE;
                if (OUT) op += sE;
            }
        }
    };
    // As walk, with the u/δ/z loads a group ahead (DB).
    auto walk_ahead = [&](auto spTag, auto zTag, auto dtTag) {
        constexpr bool HZ = decltype(zTag)::value, SDT = decltype(dtTag)::value;
        if (t0c < t1c) stage(t0c, 0);
        sl_cp_commit();
        int buf = 0;
        // strides local to each walk: declared once for both, they cost ss_out1_n16 44 more bytes of spill loads
        const size_t sE = (size_t)E, sH = (size_t)H;
        const int len = act ? t1c - t0c : 0;
        const size_t tok0 = (size_t)b * L + t0c;
        const float* up = u + tok0 * sE + e;        // the next tokens to load
        const float* dp = delta + tok0 * sH + h;
        const float* zp = HZ ? z + tok0 * sE + e : nullptr;
        float* op = OUT ? out + tok0 * sE + e : nullptr;
        auto fetch = [&](float* ru, float* rd, float* rz, int cnt) {
#pragma unroll
            for (int k = 0; k < PF; ++k) {
                const bool v = k < cnt;
                ru[k] = v ? up[k * sE] : 0.f;
                rd[k] = (!SDT && v) ? dp[k * sH] : 0.f;
                rz[k] = (HZ && v) ? zp[k * sE] : 0.f;
            }
            up += PF * sE;
            dp += PF * sH;
            if (HZ) zp += PF * sE;
        };
        float cu[PF], cd[PF], cz[PF];
        fetch(cu, cd, cz, min(PF, len));
        for (int t0 = t0c; t0 < t1c; t0 += SCAN_TS, buf ^= 1) {
            const int nt = min(SCAN_TS, t1c - t0);
            step_start(t0, buf);
            if (!act) continue;
            const float* bS = sB[buf];
            const float* cS = sC[buf];
            for (int s = 0; s < nt; s += PF) {
                float nu[PF], nd[PF], nz[PF];
                fetch(nu, nd, nz, min(PF, len - (t0 - t0c + s) - PF));
                if (s + PF <= nt) {
#pragma unroll
                    for (int k = 0; k < PF; ++k)
                        token(spTag, zTag, dtTag, s + k, bS + (s + k) * NMAX, cS + (OUT ? (s + k) * NMAX : 0), cu[k], cd[k],
                              cz[k], OUT ? op + k * sE : nullptr);
                } else {
#pragma unroll
                    for (int k = 0; k < PF; ++k)
                        if (s + k < nt)
                            token(spTag, zTag, dtTag, s + k, bS + (s + k) * NMAX, cS + (OUT ? (s + k) * NMAX : 0), cu[k],
                                  cd[k], cz[k], OUT ? op + k * sE : nullptr);
                }
                if (OUT) op += PF * sE;
#pragma unroll
                for (int k = 0; k < PF; ++k) { cu[k] = nu[k]; cd[k] = nd[k]; cz[k] = nz[k]; }
            }
        }
    };
    using T_ = std::true_type;
    using F_ = std::false_type;
    const bool hz = OUT && !SSD && z != nullptr;   // the SSD has no z gate
    auto pick = [&](auto spTag, auto zTag) {
        auto go = [&](auto dtTag) { if constexpr (DB) walk_ahead(spTag, zTag, dtTag); else walk(spTag, zTag, dtTag); };
        if constexpr (SSD) { if (sharedDt) go(T_()); else go(F_()); }
        else go(F_());
    };
    if (softplus) { if (hz) pick(T_(), T_()); else pick(T_(), F_()); }
    else { if (hz) pick(F_(), T_()); else pick(F_(), F_()); }
    return sumd;
}

// One launch of the chunk-parallel scan: block (bx, c, b) walks chunk c from its incoming state (the
// initial state at one chunk, else what ss_combine left in hloc; zero in the state pass) and stores the
// final state (one chunk), or its local end state and Σδ (state pass).
template <int NMAX, bool OUT, bool SSD, int PF, bool DB>
__device__ __forceinline__ void scan_body(
    const float* __restrict__ u, const float* __restrict__ delta, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ D,
    const float* __restrict__ z, const float* __restrict__ dbias, int softplus,
    float* __restrict__ hState, float* __restrict__ hloc, float* __restrict__ sdelta, float* __restrict__ out,
    int L, int E, int N, int H, int G, int nch, int chunkLen)
{
    const int c = blockIdx.y, b = blockIdx.z;
    const ScanLane ln = scan_lane(blockIdx.x, E, H, G);
    const int e = ln.e;
    float hs[NMAX];
#pragma unroll
    for (int n = 0; n < NMAX; ++n)
        hs[n] = (OUT && ln.act && n < N) ? (nch == 1 ? hState[((size_t)b * E + e) * N + n]
                                                     : hloc[(((size_t)b * nch + c) * N + n) * E + e])
                                         : 0.f;
    const float sumd = scan_walk<NMAX, OUT, SSD, PF, DB>(ln, c, b, hs, u, delta, A, Bm, Cm, D, z, dbias, softplus,
                                                         out, L, E, N, H, G, chunkLen);
    if (!ln.act) return;
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

#define SL_SCAN_INSTANCE_SS(NM, PFV, OUTB, DBV) \
    extern "C" __global__ void __launch_bounds__(128) ss_state_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, false, false, PFV, DBV>(SL_SCAN_PASS); } \
    extern "C" __global__ void __launch_bounds__(128, OUTB) ss_out_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, true, false, PFV, DBV>(SL_SCAN_PASS); }
#define SL_SCAN_INSTANCE_SSD(NM, PFV, DBV) \
    extern "C" __global__ void __launch_bounds__(128) ssd_state_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, false, true, PFV, DBV>(SL_SCAN_PASS); } \
    extern "C" __global__ void __launch_bounds__(128) ssd_out_n##NM(SL_SCAN_ARGS) { sl::scan_body<NM, true, true, PFV, DBV>(SL_SCAN_PASS); }

// State sizes are rounded up to one of these register-array widths (N <= 64 supported). Widths 8 and
// 16 load a group ahead (H100, results-h100/scan-prefetch/: the chunked scan B1 L1M E1536 36% -> 46% of
// the copy bandwidth); 64 does not (255 registers, and its SSD ran 20% slower so). The SSD at width 16
// has only the 8-token builds below.
SL_SCAN_INSTANCE_SS(8, 4, 3, true)
SL_SCAN_INSTANCE_SSD(8, 4, true)
SL_SCAN_INSTANCE_SS(16, 4, 5, true)
SL_SCAN_INSTANCE_SS(64, 8, 1, false)
// The SSD at width 64. Cut into chunks its output pass takes 4 tokens a group with registers capped for 4 blocks
// per SM (128, no spills; 8 tokens a group took 164 and 3 blocks): H100 (results-h100/ssd-state-mma/out64/), B8
// L64K H24 P64 N64 15.5 against 17.9 ms, B1 L1M 31.0 against 35.2. In one chunk (the batch fills the GPU) the
// 8-token build stays faster (B64 L4096 H24 6.6 against 6.9 ms): ssd_out1_n64.
extern "C" __global__ void __launch_bounds__(128) ssd_state_n64(SL_SCAN_ARGS) { sl::scan_body<64, false, true, 8, false>(SL_SCAN_PASS); }
extern "C" __global__ void __launch_bounds__(128, 4) ssd_out_n64(SL_SCAN_ARGS) { sl::scan_body<64, true, true, 4, false>(SL_SCAN_PASS); }
extern "C" __global__ void __launch_bounds__(128) ssd_out1_n64(SL_SCAN_ARGS) { sl::scan_body<64, true, true, 8, false>(SL_SCAN_PASS); }

// One-pass builds at N <= 16 (CudaOps: one chunk, B·E alone fills the GPU): every block of the grid is
// resident at once, so registers go to independent work (8 tokens a group, a group ahead) rather than to
// more blocks. H100 (results-h100/scan-prefetch/): Mamba-1 B44 L64K E1536 81% of the copy bandwidth.
extern "C" __global__ void __launch_bounds__(128, 4) ss_out1_n16(SL_SCAN_ARGS) { sl::scan_body<16, true, false, 8, true>(SL_SCAN_PASS); }
extern "C" __global__ void __launch_bounds__(128, 4) ssd_out1_n16(SL_SCAN_ARGS) { sl::scan_body<16, true, true, 8, true>(SL_SCAN_PASS); }
// The SSD cut into chunks at N <= 16 runs these builds too (state pass ssd_state1_n16, then ssd_out1_n16),
// with up to four whole waves of blocks (CudaOps.ssdChunk). H100 (results-h100/ssd-wide-chunks/): B1 L1M H24
// P64 9.7 against 11.3 ms with the 4-token builds at CudaOps' earlier chunk count, B8 L64K H12 2.46 against
// 2.87; the Mamba-1 scan gained nothing from them (its exps, not its loads, bound it there).
extern "C" __global__ void __launch_bounds__(128, 4) ssd_state1_n16(SL_SCAN_ARGS) { sl::scan_body<16, false, true, 8, true>(SL_SCAN_PASS); }

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
