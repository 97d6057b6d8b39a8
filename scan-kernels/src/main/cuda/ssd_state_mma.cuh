// State pass of the Mamba-2 SSD cut into chunks (selective_scan.cuh, pass 1), on tensor cores at fp32
// accuracy (3xTF32, tf32.cuh). Same arguments, outputs and buffer layouts as the scalar state kernels
// (ssd_state1_n16, ssd_state_n8, ssd_state_n64), so ss_combine and the output passes run unchanged after it;
// only the grid's x dimension differs.
//
// Glossary: B batch, L tokens, H heads, P head dim, E = H·P channels, N state size (<= 64), NQ = ⌈N/16⌉
// state quarters of 16 states (the last zero-padded), G groups of B/C rows, NCH chunks of chunkLen tokens,
// T = 32 tokens per step, CW = 8·NT head dims per warp (a warp's slice; 32 in the backend's build),
// SPH = ⌈P/CW⌉ slices per head.
// Layouts: x (B, L, E); dt (B, L, H); Bm (B, L, G, N); hloc (B, NCH, N, E) (e fastest); sdelta (B, NCH, E).
//
// Why: the scalar state pass spends two fp32 instructions per state element and token (h = a·h + δx·B)
// plus the per-token work, and at B = 1 it is half of the SSD's time. Its result for a chunk is a
// matrix product: with δ_j the step, R_j = Σ_{k>j} δ_k over the rest of the step and a2 = A·log2 e,
//   H_step = (B ⊙ exp2(a2·R_j)·δ_j)ᵀ X          (16 states × CW, K = T tokens, per state quarter)
//   H      = exp2(a2·Σ_j δ_j) · H + H_step        (per step, in order)
// The product runs on mma.sync m16n8k8 tf32 with both operands split into hi + lo (three MMAs: lo·hi +
// hi·lo + hi·hi, products to ~2^-21 relative); each step's MMAs start from zero and are added with an
// FFMA, so the tensor cores' truncating accumulation never runs across steps. R_j is a suffix sum of
// positive terms (no cancellation); Σδ of the chunk is summed step by step in a fixed order, so results
// are the same bits from run to run.
// A warp owns one (image, chunk, head, slice, state quarter) and needs no other warp: operands go from
// global memory straight into fragment registers (a token row of a slice is 4·CW contiguous bytes), PD steps
// ahead, and the kernel has no shared memory and no block barrier.
#pragma once
#include "common.cuh"
#include "selective_scan.cuh"   // SL_SCAN_ARGS
#include "tf32.cuh"

namespace sl {

constexpr int SSDM_T = 32;     // tokens per step
constexpr int SSDM_CW = 32;    // head dims per warp (the backend's build)
constexpr int SSDM_WARPS = 4;  // warps per block (the backend's launch)

// One step's operands of one lane, in fragment order (tf32.cuh): x[ks][nt][i] = X[token 8ks + t + 4i][dim 8nt + g];
// bm[ks][i] = B[token 8ks + t + 4(i >> 1)][state g + 8(i & 1)]; dt of token lane. NT: 8-dim n-tiles per warp.
template <int NT>
struct SsdmStep { float x[4][NT][2]; float bm[4][4]; float dt; };

template <int NT>
__device__ __forceinline__ void ssdm_load(SsdmStep<NT>& s, const float* __restrict__ xb, const float* __restrict__ bb,
                                          const float* __restrict__ db, int t0, int t1, size_t xRow, size_t bRow, int H,
                                          int nDims, int nSt)
{
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    s.dt = t0 + lane < t1 ? db[(size_t)(t0 + lane) * H] : 0.f;
#pragma unroll
    for (int ks = 0; ks < 4; ++ks)
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            const int tok = t0 + 8 * ks + t + 4 * i;
            const bool tv = tok < t1;
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                const int dim = 8 * nt + g;
                s.x[ks][nt][i] = tv && dim < nDims ? xb[(size_t)tok * xRow + dim] : 0.f;
            }
            s.bm[ks][2 * i] = tv && g < nSt ? bb[(size_t)tok * bRow + g] : 0.f;
            s.bm[ks][2 * i + 1] = tv && g + 8 < nSt ? bb[(size_t)tok * bRow + g + 8] : 0.f;
        }
}

template <int NT, int PD>
__device__ __forceinline__ void ssd_state_mma_body(
    const float* __restrict__ x, const float* __restrict__ dt, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ dbias, int softplus,
    float* __restrict__ hloc, float* __restrict__ sdelta, int L, int E, int N, int H, int G, int nch, int chunkLen)
{
    using sltf::split;
    using sltf::mma3_tf32;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int c = blockIdx.y, b = blockIdx.z;
    constexpr int CW = 8 * NT;
    const int P = E / H, sph = (P + CW - 1) / CW;
    const int nq = (N + 15) / 16;
    // the NQ quarters of one (head, slice) are neighbouring warps of a block: they read the same x rows
    const int job = blockIdx.x * (blockDim.x >> 5) + warp;
    if (job >= H * sph * nq) return;                  // whole warps only; no barriers follow
    const int q = job % nq, hsl = job / nq;
    const int h = hsl / sph, p0 = (hsl - h * sph) * CW;
    const int nDims = min(CW, P - p0), nSt = min(16, N - 16 * q);
    const int grp = h / (H / G);
    const float a2 = A[h] * SL_LOG2E;
    const float bias = dbias ? dbias[h] : 0.f;
    const int t0c = c * chunkLen, t1c = min(L, t0c + chunkLen);
    const size_t xRow = (size_t)E, bRow = (size_t)G * N;
    const float* xb = x + (size_t)b * L * xRow + (size_t)h * P + p0;
    const float* bb = Bm + (size_t)b * L * bRow + (size_t)grp * N + 16 * q;
    const float* db = dt + (size_t)b * L * H + h;

    // this quarter's H (16 states × CW dims) in accumulator layout:
    // hs[nt][r] = H[state 16q + g + 8(r >> 1)][dim 8nt + 2t + (r & 1)]
    float hs[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) hs[nt][i] = 0.f;
    float sumd = 0.f;
    // One step of 32 tokens from t0, its operands in c.
    auto run_step = [&](const SsdmStep<NT>& c, int t0) {
        float dl = c.dt + bias;
        if (softplus) dl = sl_softplus(dl);
        dl = t0 + lane < t1c ? dl : 0.f;              // past the chunk: no decay, no input
        // R = Σ of the later tokens' δ: a suffix scan of the next lane's δ
        float r = __shfl_down_sync(0xffffffffu, dl, 1);
        r = lane < 31 ? r : 0.f;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            const float v = __shfl_down_sync(0xffffffffu, r, o);
            if (lane + o < 32) r += v;
        }
        const float tot = __shfl_sync(0xffffffffu, r + dl, 0);
        const float w = exp2f(a2 * r) * dl;
        const float dk = exp2f(a2 * tot);
        sumd += tot;

        float acc[NT][4], lo[NT][4];
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
            for (int i = 0; i < 4; ++i) acc[nt][i] = lo[nt][i] = 0.f;
#pragma unroll
        for (int ks = 0; ks < 4; ++ks) {
            const float w0 = __shfl_sync(0xffffffffu, w, 8 * ks + t), w1 = __shfl_sync(0xffffffffu, w, 8 * ks + t + 4);
            // A = (B ⊙ w)ᵀ: 16 states × 8 tokens
            unsigned ah[4], al[4];
            split(w0 * c.bm[ks][0], ah[0], al[0]);
            split(w0 * c.bm[ks][1], ah[1], al[1]);
            split(w1 * c.bm[ks][2], ah[2], al[2]);
            split(w1 * c.bm[ks][3], ah[3], al[3]);
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                unsigned xh[2], xl[2];
                split(c.x[ks][nt][0], xh[0], xl[0]);
                split(c.x[ks][nt][1], xh[1], xl[1]);
                mma3_tf32(acc[nt], lo[nt], ah, al, xh, xl);
            }
        }
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
            for (int i = 0; i < 4; ++i) hs[nt][i] = fmaf(dk, hs[nt][i], acc[nt][i] + lo[nt][i]);
    };
    auto load = [&](SsdmStep<NT>& s, int t0) { ssdm_load(s, xb, bb, db, t0, t1c, xRow, bRow, H, nDims, nSt); };
    // The operands PD steps ahead, in PD + 1 register sets whose roles rotate by unrolling (a copy between
    // sets would wait for the loads in flight).
    constexpr int T = SSDM_T;
    SsdmStep<NT> s0, s1, s2;
    load(s0, t0c);
    if constexpr (PD == 1) {
        for (int t0 = t0c; t0 < t1c; t0 += 2 * T) {
            load(s1, t0 + T); run_step(s0, t0);
            if (t0 + T >= t1c) break;
            load(s0, t0 + 2 * T); run_step(s1, t0 + T);
        }
    } else {
        load(s1, t0c + T);
        for (int t0 = t0c; t0 < t1c; t0 += 3 * T) {
            load(s2, t0 + 2 * T); run_step(s0, t0);
            if (t0 + T >= t1c) break;
            load(s0, t0 + 3 * T); run_step(s1, t0 + T);
            if (t0 + 2 * T >= t1c) break;
            load(s1, t0 + 4 * T); run_step(s2, t0 + 2 * T);
        }
    }

    const size_t e0 = (size_t)h * P + p0;
    float* hl = hloc + (((size_t)b * nch + c) * N + 16 * q) * E + e0;
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int st = g + 8 * (i >> 1), dim = 8 * nt + 2 * t + (i & 1);
            if (st < nSt && dim < nDims) hl[(size_t)st * E + dim] = hs[nt][i];
        }
    if (q == 0 && lane < nDims) sdelta[((size_t)b * nch + c) * E + e0 + lane] = sumd;   // CW <= 32
}

}  // namespace sl

// Launch: blockDim.x = 32·SSDM_WARPS, grid (⌈H·⌈P/CW⌉·⌈N/16⌉ / SSDM_WARPS⌉, NCH, B), no shared memory. Arguments
// as the other scan kernels (SL_SCAN_ARGS; D, z, Cm, hState and out are not read). N <= 64. The backend launches
// ssd_state_mma (CW = 32, operands two steps ahead: 255 registers in the fatbin, 2 blocks per SM; on an H100 its state pass
// took 2.46 ms at B1 L1M H24 P64, against 2.75 with one step ahead, 2.95 / 3.45 with CW = 16, 3.70 for the scalar
// pass, results-h100/ssd-state-mma/); harnesses may add builds with CW = 8·NT head dims per warp
// and operands PD = 1 or 2 steps ahead (MINB: resident blocks per SM the registers must allow) through
// SL_SSDM_VARIANTS.
#define SL_SSDM_INSTANCE(NAME, NTV, PDV, MINB) \
    extern "C" __global__ void __launch_bounds__(32 * sl::SSDM_WARPS, MINB) NAME(SL_SCAN_ARGS) \
    { sl::ssd_state_mma_body<NTV, PDV>(u, delta, A, Bm, dbias, softplus, hloc, sdelta, L, E, N, H, G, nch, chunkLen); }
#ifndef SL_SSDM_VARIANTS
#define SL_SSDM_VARIANTS SL_SSDM_INSTANCE(ssd_state_mma, 4, 2, 1)
#endif
SL_SSDM_VARIANTS
