// State pass of the chunk-parallel selective scan / SSD (selective_scan.cuh, pass 1) walked from the end of each
// chunk backwards, stopping where the rest of the chunk no longer reaches the chunk's end state.
//
// Glossary: as selective_scan.cuh (B, L, E, N, H, G, NCH, chunk length); D the Σδ of the tokens after the
// current one in the chunk; a2 = A·log2 e.
// Outputs: hloc (B, NCH, N, E) and sdelta (B, NCH, E), as the forward state kernels, so ss_combine and the
// output passes run unchanged after it.
//
// Why: a chunk's end state from a zero state is h_T = Σ_t exp2(a2·D_t)·δ_t·u_t·B_t. With A < 0 and δ >= 0 the
// weight exp2(a2·D_t) only falls going back. Once it is below 2^TAIL_LOG2 for every state of every channel of
// the block, the walk stops: the tokens before weigh less than that. The forward pass walks the whole chunk,
// and its exps (one per state and token, on the 16-per-clock SFU) are what cap the cut scan near half of the
// bandwidth: every exp is evaluated twice. Here the state pass costs only the tokens within reach of the
// chunk's end, which, where chunks are long against the decay, is a small part of them.
//
// Accuracy: what the stop drops is Σ_{t <= t0} exp2(a2·D_t)·δ_t·u_t·B_t = exp2(a2·D_t0)·h'_t0, where h'_t0 is
// the state the dropped tokens build on their own: at most 2^TAIL_LOG2 = 2^-32 of it per state (in absolute
// values), below fp32 rounding of any state of that size. sdelta holds the Σδ of the walked tokens: the
// decay ss_combine applies to the incoming state is then at most 2^-32 where the true one is smaller still.
// Without decay (A >= 0 for some state, or δ = 0) the walk covers the whole chunk and is exact as the
// forward one.
#pragma once
#include <cfloat>
#include "common.cuh"
#include "cp_async.cuh"
#include "selective_scan.cuh"

namespace sl {

constexpr float TAIL_LOG2 = -32.f;   // log2 of the weight below which the tokens before are dropped

// Block (bx, c, b) walks chunk c of batch row b backwards (SSD: δ and A per head, B rows of the head's group).
// PF: tokens of u and δ in registers per group; the next group's loads are issued before this group computes.
template <int NMAX, bool SSD, int PF>
__device__ __forceinline__ void scan_tail_body(
    const float* __restrict__ u, const float* __restrict__ delta, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ dbias, int softplus,
    float* __restrict__ hloc, float* __restrict__ sdelta, int L, int E, int N, int H, int G, int nch, int chunkLen)
{
    static_assert(SCAN_TS % PF == 0, "groups must not straddle a step");
    __shared__ __align__(16) float sB[2][SCAN_TS * NMAX];
    const int c = blockIdx.y, b = blockIdx.z;
    const ScanLane ln = scan_lane(blockIdx.x, E, H, G);
    const int e = ln.e, h = ln.h, g = ln.g;
    const bool act = ln.act;
    const int t0c = c * chunkLen, t1c = min(L, t0c + chunkLen);
    const int len = max(0, t1c - t0c);
    const int nsteps = (len + SCAN_TS - 1) / SCAN_TS;

    float a2[NMAX];
    float a2max = -INFINITY;   // the slowest decay of this channel's states (SSD: the head's)
#pragma unroll
    for (int n = 0; n < NMAX; ++n) {
        a2[n] = 0.f;
        if (act && n < N) {
            a2[n] = (SSD ? A[h] : A[(size_t)e * N + n]) * SL_LOG2E;
            // A = -inf (a state that forgets at once): a finite floor keeps the weight of the chunk's last token
            // exp2(a2·0) = 1, not NaN, as the forward pass has it; a NaN stays NaN
            if (a2[n] < -FLT_MAX) a2[n] = -FLT_MAX;
            a2max = fmaxf(a2max, a2[n]);
        }
    }
    const float db = (act && dbias) ? dbias[h] : 0.f;
    float hs[NMAX];
#pragma unroll
    for (int n = 0; n < NMAX; ++n) hs[n] = 0.f;
    float dsum = 0.f;   // D: Σδ of the tokens walked so far

    const size_t sE = (size_t)E, sH = (size_t)H;
    const int full = len / PF * PF;   // tokens [t0c, t0c + full) in whole groups, aligned to the chunk start
    // one token t (its B row in shared memory): accumulate its weighted input, then D += δ
    auto token = [&](const float* bt, float uu, float dr) {
        float dl = dr + db;
        if (softplus) dl = sl_softplus(dl);
        const float du = dl * uu;
        const float wh = SSD ? exp2f(a2[0] * dsum) * du : 0.f;   // the SSD's weight: one per head and token
#pragma unroll
        for (int n4 = 0; n4 < NMAX / 4; ++n4) {
            if (NMAX <= 16 || 4 * n4 < N) {   // padded states have B = 0; only the 64-wide build skips them
                const float4 bv = reinterpret_cast<const float4*>(bt)[n4];
                const float bb[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    const float w = SSD ? wh : exp2f(a2[4 * n4 + j] * dsum) * du;
                    hs[4 * n4 + j] = fmaf(w, bb[j], hs[4 * n4 + j]);
                }
            }
        }
        dsum += dl;
    };
    // the group of PF tokens from t (t >= t0c: all inside the chunk)
    auto fetch = [&](float* ru, float* rd, int t) {
        if (t < t0c) {   // past the chunk's start: nothing left to load
#pragma unroll
            for (int k = 0; k < PF; ++k) ru[k] = rd[k] = 0.f;
            return;
        }
        const size_t tok = (size_t)b * L + t;
        const float* up = u + tok * sE + e;
        const float* dp = delta + tok * sH + h;
#pragma unroll
        for (int k = 0; k < PF; ++k) {
            ru[k] = up[k * sE];
            rd[k] = dp[k * sH];
        }
    };

    if (nsteps > 0) scan_stage_rows<NMAX, false>(sB[0], nullptr, Bm, nullptr, b, L, G, g, N, t0c + (nsteps - 1) * SCAN_TS,
                                                 min(SCAN_TS, len - (nsteps - 1) * SCAN_TS));
    sl_cp_commit();
    float cu[PF], cd[PF];
    int gt = t0c + full - PF;   // the next whole group to compute
    if (act) fetch(cu, cd, gt);
    int buf = 0;
    for (int k = nsteps - 1; k >= 0; --k, buf ^= 1) {
        // inactive lanes and channels whose every state decayed past the bound vote to stop
        const bool more = act && !(a2max * dsum < TAIL_LOG2);
        sl_cp_wait_all();
        if (!__syncthreads_or(more)) break;   // also: step k's rows landed, the other stage is free
        if (k > 0) scan_stage_rows<NMAX, false>(sB[buf ^ 1], nullptr, Bm, nullptr, b, L, G, g, N, t0c + (k - 1) * SCAN_TS, SCAN_TS);
        sl_cp_commit();
        if (!act) continue;
        const int ts0 = t0c + k * SCAN_TS;
        const float* bS = sB[buf];
        if (k == nsteps - 1) {   // the partial group at the chunk's end, token by token
            for (int t = t1c - 1; t >= t0c + full; --t) {
                const size_t tok = (size_t)b * L + t;
                token(bS + (t - ts0) * NMAX, u[tok * sE + e], delta[tok * sH + h]);
            }
        }
        for (; gt >= ts0; gt -= PF) {
            float nu[PF], nd[PF];
            fetch(nu, nd, gt - PF);
#pragma unroll
            for (int j = PF - 1; j >= 0; --j) token(bS + (gt + j - ts0) * NMAX, cu[j], cd[j]);
#pragma unroll
            for (int j = 0; j < PF; ++j) { cu[j] = nu[j]; cd[j] = nd[j]; }
        }
    }
    if (!act) return;
#pragma unroll
    for (int n = 0; n < NMAX; ++n)
        if (n < N) hloc[(((size_t)b * nch + c) * N + n) * E + e] = hs[n];
    sdelta[((size_t)b * nch + c) * E + e] = dsum;
}

}  // namespace sl

// Launch as the forward state kernels (grid (channel blocks, NCH, B), 128 threads at most, SL_SCAN_ARGS; Cm, D, z,
// hState and out are not read).
#define SL_TAIL_INSTANCE(NAME, NM, SSDV, PFV) \
    extern "C" __global__ void __launch_bounds__(128) NAME(SL_SCAN_ARGS) \
    { sl::scan_tail_body<NM, SSDV, PFV>(u, delta, A, Bm, dbias, softplus, hloc, sdelta, L, E, N, H, G, nch, chunkLen); }
SL_TAIL_INSTANCE(ss_tail_n8, 8, false, 4)
SL_TAIL_INSTANCE(ss_tail_n16, 16, false, 4)
SL_TAIL_INSTANCE(ss_tail_n64, 64, false, 4)
SL_TAIL_INSTANCE(ssd_tail_n8, 8, true, 4)
SL_TAIL_INSTANCE(ssd_tail_n16, 16, true, 4)
SL_TAIL_INSTANCE(ssd_tail_n64, 64, true, 4)
