// Output pass of the Mamba-2 SSD (spec ops §9) at N up to 64 as matrix products on tensor cores at fp32
// accuracy (3xTF32, tf32.cuh). Same arguments and buffer layouts as the chunk-parallel output pass
// (selective_scan.cuh, pass 3): each chunk starts from its incoming state (what ss_combine left in hloc, or
// the initial state when the sequence is one chunk, whose final state it then writes).
//
// Glossary: B batch, L tokens, H heads, P head dim, E = H·P channels, N state size (<= NS, zero-padded),
// G groups of B/C rows, NCH chunks of chunkLen tokens, Q = 32 tokens per step, NW warps per block, CW head
// dims per warp, PB = NW·CW head dims per block, NT = CW/8 n-tiles per warp, MT = NS/16 state m-tiles.
// Layouts: x, out (B, L, E); dt (B, L, H); Bm, Cm (B, L, G, N); hState (B, E, N); hloc (B, NCH, N, E).
//
// Why: the scalar output pass spends three fp32 instructions per state element and token (h = a·h + δx·B,
// y += C·h); at N = 64 that bounds it near a fifth of the memory bandwidth. Within a step of Q tokens
// (δ_j the step, S_i = Σ_{k<=i} δ_k, a2 = A·log2 e, decay(i, j) = exp2(a2·(S_i − S_j))):
//   M     = (C Bᵀ) ⊙ decay(i, j)·δ_j for j <= i, 0 above the diagonal        (Q × Q, K = N)
//   Y     = M X + diag(exp2(a2·S_i)) C H_in + D·X                            (Q × PB)
//   H_out = exp2(a2·S_last) H_in + (B ⊙ exp2(a2·(S_last − S_j))·δ_j)ᵀ X       (N × PB, K = Q)
// on mma.sync m16n8k8 tf32 with every operand split into hi + lo (three MMAs per product). The state stays
// fp32 in registers; each step's products start from zero and are added with rounded fp32 adds, so the
// tensor cores' truncating accumulation never runs across steps. S is summed in double, so decay(i, j) of
// neighbouring tokens does not lose digits to the cancellation S_i − S_j. The step's x, B and C rows are
// copied into shared memory a step ahead (cp.async, two stages).
// Warp w owns head dims [w·CW, w·CW + CW) for Y and H_out; C Bᵀ is shared through shared memory, its six
// nonzero 16 × 8 tiles split over the warps; H_in goes through shared memory as the B operand of C·H_in.
// Per step, 2 barriers: (A) the step's rows landed (and the previous step is done everywhere); (C) M ready.
#pragma once
#include "common.cuh"
#include "cp_async.cuh"
#include "selective_scan.cuh"   // SL_SCAN_ARGS
#include "tf32.cuh"

namespace sl {

constexpr int SSDO_Q = 32;        // tokens per step
constexpr int SSDO_STAGES = 2;

template <int NS, int NW, int CW>
struct SsdoLayout {
    static constexpr int Q = SSDO_Q;
    static constexpr int PB = NW * CW;
    static constexpr int RX = PB + 8;          // x rows: lane (g, t) reading row t, column g hits 32 banks
    static constexpr int RBC = NS + 4;         // B/C rows: lane (g, t) reading row g, column t hits 32 banks
    static constexpr int RM = Q + 4;           // M rows
    static constexpr int RH = PB + 8;          // state rows (one per state)
    static constexpr int STAGE = Q * RX + 2 * Q * RBC;                  // x, B, C
    // stages, M, two state buffers, per warp: S (Q doubles), δ, exp2(a2·S_i), exp2(a2·(S_last − S_j))·δ_j
    static constexpr int FLOATS = SSDO_STAGES * STAGE + Q * RM + 2 * NS * RH + NW * 5 * Q;
    static constexpr int BYTES = 4 * FLOATS;
};

// The 6 nonzero 16 × 8 tiles of the causal Q × Q matrix: (m-tile, n-tile).
__device__ __forceinline__ void ssdo_tile(int k, int& mi, int& jn) { mi = k < 2 ? 0 : 1; jn = k < 2 ? k : k - 2; }

template <int NS, int NW, int CW>
__device__ __forceinline__ void ssd_out_mma_body(
    const float* __restrict__ x, const float* __restrict__ dt, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ D,
    const float* __restrict__ dbias, int softplus, float* __restrict__ hState, const float* __restrict__ hloc,
    float* __restrict__ out, int L, int E, int N, int H, int G, int nch, int chunkLen)
{
    using LY = SsdoLayout<NS, NW, CW>;
    constexpr int Q = SSDO_Q, PB = LY::PB, RX = LY::RX, RBC = LY::RBC, RM = LY::RM, RH = LY::RH;
    constexpr int NT = CW / 8, MT = NS / 16, KN = NS / 8, NTH = 32 * NW;
    constexpr int TPW = (6 + NW - 1) / NW;     // causal tiles per warp (at most)
    static_assert(CW % 8 == 0 && NS % 16 == 0, "whole n-tiles and m-tiles");
    using sltf::split;
    using sltf::mma3_tf32;
    SL_EXTERN_SHARED __align__(16) float smem_sso[];
    float* const smem = smem_sso;

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g8 = lane >> 2, t4 = lane & 3;
    const int P = E / H;
    const int bph = (P + PB - 1) / PB;
    const int h = blockIdx.x / bph;
    const int p0 = (blockIdx.x - h * bph) * PB;
    const int c = blockIdx.y, b = blockIdx.z;
    const int grp = h / (H / G);
    const float a2 = A[h] * SL_LOG2E;
    const float bias = dbias ? dbias[h] : 0.f;
    const float dd = D ? D[h] : 0.f;
    const int t0c = c * chunkLen, t1c = min(L, t0c + chunkLen);

    float* Ms = smem + SSDO_STAGES * LY::STAGE;                    // (Q, RM)
    float* Hs = Ms + Q * RM;                                        // 2 × (NS, RH)
    double* Sd = reinterpret_cast<double*>(Hs + 2 * NS * RH) + warp * Q;
    float* dls = reinterpret_cast<float*>(Sd - warp * Q + NW * Q) + warp * 3 * Q;
    float* ecs = dls + Q;
    float* ebs = ecs + Q;

    const int cw0 = warp * CW;
    const size_t eBase = (size_t)h * P + p0;
    // State in registers, accumulator layout: hreg[m][nt][r] = H[state 16m + g8 + 8(r >> 1)][dim cw0 + 8nt + 2t4 + (r & 1)].
    float hreg[MT][NT][4];
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
            for (int r = 0; r < 4; ++r) {
                const int st = 16 * m + g8 + 8 * (r >> 1), cc = cw0 + 8 * nt + 2 * t4 + (r & 1);
                const bool v = st < N && p0 + cc < P;
                float hv = 0.f;
                if (v) hv = nch == 1 ? hState[((size_t)b * E + eBase + cc) * N + st]
                                     : hloc[(((size_t)b * nch + c) * N + st) * E + eBase + cc];
                hreg[m][nt][r] = hv;
                Hs[st * RH + cc] = hv;
            }

    auto al = [](const void* ptr) { return (reinterpret_cast<size_t>(ptr) & 15) == 0; };
    const bool xv4 = P % 4 == 0 && E % 4 == 0 && al(x);
    const bool bc4 = N % 4 == 0 && al(Bm) && al(Cm);
    const size_t xRow = (size_t)E, bRow = (size_t)G * N;
    const float* xb = x + (size_t)b * L * xRow + eBase;
    const float* bb = Bm + (size_t)b * L * bRow + (size_t)grp * N;
    const float* cb = Cm + (size_t)b * L * bRow + (size_t)grp * N;
    const float* db = dt + (size_t)b * L * H + h;
    auto load = [&](int t0, int st) {
        float* xs = smem + st * LY::STAGE;
        float* bs = xs + Q * RX;
        float* cs = bs + Q * RBC;
        const int tv = min(Q, t1c - t0);
        if (xv4) {
            for (int i = tid; i < Q * PB / 4; i += NTH) {
                const int r = i / (PB / 4), cc = 4 * (i - r * (PB / 4));
                const bool v = r < tv && p0 + cc < P;
                sl_cp<16>(xs + r * RX + cc, v ? xb + (size_t)(t0 + r) * xRow + cc : x, v);
            }
        } else {
            for (int i = tid; i < Q * PB; i += NTH) {
                const int r = i / PB, cc = i - r * PB;
                const bool v = r < tv && p0 + cc < P;
                sl_cp<4>(xs + r * RX + cc, v ? xb + (size_t)(t0 + r) * xRow + cc : x, v);
            }
        }
        if (bc4) {
            for (int i = tid; i < Q * NS / 4; i += NTH) {
                const int r = i / (NS / 4), cc = 4 * (i - r * (NS / 4));
                const bool v = r < tv && cc < N;
                const size_t o = (size_t)(t0 + r) * bRow + cc;
                sl_cp<16>(bs + r * RBC + cc, v ? bb + o : Bm, v);
                sl_cp<16>(cs + r * RBC + cc, v ? cb + o : Cm, v);
            }
        } else {
            for (int i = tid; i < Q * NS; i += NTH) {
                const int r = i / NS, cc = i - r * NS;
                const bool v = r < tv && cc < N;
                const size_t o = (size_t)(t0 + r) * bRow + cc;
                sl_cp<4>(bs + r * RBC + cc, v ? bb + o : Bm, v);
                sl_cp<4>(cs + r * RBC + cc, v ? cb + o : Cm, v);
            }
        }
    };
    // dt of token t0 + lane, read a step ahead into a register (its latency hides behind a step of work)
    auto load_dt = [&](int t0) { return t0 + lane < t1c ? db[(size_t)(t0 + lane) * H] : 0.f; };

    const int steps = (t1c - t0c + Q - 1) / Q;
    if (steps > 0) load(t0c, 0);
    sl_cp_commit();
    float dtc = steps > 0 ? load_dt(t0c) : 0.f;
    const bool vec2 = E % 2 == 0 && P % 2 == 0 && p0 % 2 == 0 && (reinterpret_cast<size_t>(out) & 7) == 0;

    for (int k = 0; k < steps; ++k) {
        const int st = k % SSDO_STAGES;
        const float* xs = smem + st * LY::STAGE;
        const float* bs = xs + Q * RX;
        const float* cs = bs + Q * RBC;
        const float* Hin = Hs + (k & 1) * NS * RH;
        float* Hout = Hs + ((k + 1) & 1) * NS * RH;
        const int t0 = t0c + k * Q;
        sl_cp_wait_all();
        __syncthreads();                                            // (A)
        if (k + 1 < steps) load(t0 + Q, (k + 1) % SSDO_STAGES);
        sl_cp_commit();
        const float dtn = k + 1 < steps ? load_dt(t0 + Q) : 0.f;

        // Per token (lane = token): δ, S in double by a shuffle scan, and the scales.
        float dk;                                                   // exp2(a2·S_last): the step's decay
        {
            float dl = dtc + bias;
            if (softplus) dl = sl_softplus(dl);
            dl = t0 + lane < t1c ? dl : 0.f;                        // past the chunk: a = 1, δx = 0, the state passes
            double s = dl;
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) {
                const double v = __shfl_up_sync(0xffffffffu, s, o);
                if (lane >= o) s += v;
            }
            const double sl = __shfl_sync(0xffffffffu, s, 31);
            Sd[lane] = s;
            dls[lane] = dl;
            ecs[lane] = exp2f(a2 * (float)s);
            ebs[lane] = exp2f(a2 * (float)(sl - s)) * dl;
            dk = exp2f(a2 * (float)sl);
        }
        dtc = dtn;

        // C Bᵀ on this warp's causal tiles (K = N): lo terms and hi·hi in two accumulators.
        float gacc[TPW][4], glo[TPW][4];
#pragma unroll
        for (int q = 0; q < TPW; ++q) {
#pragma unroll
            for (int r = 0; r < 4; ++r) gacc[q][r] = glo[q][r] = 0.f;
            const int kt = warp + q * NW;
            if (kt < 6) {
                int mi, jn;
                ssdo_tile(kt, mi, jn);
#pragma unroll
                for (int ks = 0; ks < KN; ++ks) {
                    const float* ar = cs + (16 * mi + g8) * RBC + 8 * ks + t4;
                    const float* br = bs + (8 * jn + g8) * RBC + 8 * ks + t4;
                    unsigned ah[4], alo[4], bh[2], blo[2];
                    split(ar[0], ah[0], alo[0]);
                    split(ar[8 * RBC], ah[1], alo[1]);
                    split(ar[4], ah[2], alo[2]);
                    split(ar[8 * RBC + 4], ah[3], alo[3]);
                    split(br[0], bh[0], blo[0]);
                    split(br[4], bh[1], blo[1]);
                    mma3_tf32(gacc[q], glo[q], ah, alo, bh, blo);
                }
            }
        }

        // X as the B operand (k = token, n = head dim), split once for M X and the state update.
        unsigned xh[4][NT][2], xl[4][NT][2];
#pragma unroll
        for (int ks = 0; ks < 4; ++ks)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                const float* xr = xs + (8 * ks + t4) * RX + cw0 + 8 * nt + g8;
                split(xr[0], xh[ks][nt][0], xl[ks][nt][0]);
                split(xr[4 * RX], xh[ks][nt][1], xl[ks][nt][1]);
            }
        __syncwarp();                                               // this warp's per-token values

        // M = G ⊙ decay(i, j)·δ_j on and below the diagonal.
#pragma unroll
        for (int q = 0; q < TPW; ++q) {
            const int kt = warp + q * NW;
            if (kt < 6) {
                int mi, jn;
                ssdo_tile(kt, mi, jn);
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    const int i = 16 * mi + g8 + 8 * (r >> 1), j = 8 * jn + 2 * t4 + (r & 1);
                    const float m = (gacc[q][r] + glo[q][r]) * exp2f(a2 * (float)(Sd[i] - Sd[j])) * dls[j];
                    Ms[i * RM + j] = j <= i ? m : 0.f;
                }
            }
        }
        __syncthreads();                                            // (C) M ready

        // Y = M X + diag(exp2(a2·S_i)) C H_in, each product from zero.
        float yacc[2][NT][4], ylo[2][NT][4];
#pragma unroll
        for (int mi = 0; mi < 2; ++mi)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
                for (int r = 0; r < 4; ++r) yacc[mi][nt][r] = ylo[mi][nt][r] = 0.f;
#pragma unroll
        for (int ks = 0; ks < 4; ++ks)
#pragma unroll
            for (int mi = 0; mi < 2; ++mi) {
                if (mi == 0 && ks >= 2) continue;                   // rows 0..15 see tokens 0..15 only
                const float* mr = Ms + (16 * mi + g8) * RM + 8 * ks + t4;
                unsigned mh[4], ml[4];
                split(mr[0], mh[0], ml[0]);
                split(mr[8 * RM], mh[1], ml[1]);
                split(mr[4], mh[2], ml[2]);
                split(mr[8 * RM + 4], mh[3], ml[3]);
#pragma unroll
                for (int nt = 0; nt < NT; ++nt) {
                    mma3_tf32(yacc[mi][nt], ylo[mi][nt], mh, ml, xh[ks][nt], xl[ks][nt]);
                }
            }
#pragma unroll
        for (int mi = 0; mi < 2; ++mi) {
            const float r0 = ecs[16 * mi + g8], r1 = ecs[16 * mi + g8 + 8];
#pragma unroll
            for (int ks = 0; ks < KN; ++ks) {
                const float* cr = cs + (16 * mi + g8) * RBC + 8 * ks + t4;
                unsigned ah[4], alo[4];
                split(r0 * cr[0], ah[0], alo[0]);
                split(r1 * cr[8 * RBC], ah[1], alo[1]);
                split(r0 * cr[4], ah[2], alo[2]);
                split(r1 * cr[8 * RBC + 4], ah[3], alo[3]);
#pragma unroll
                for (int nt = 0; nt < NT; ++nt) {
                    const float* hr = Hin + (8 * ks + t4) * RH + cw0 + 8 * nt + g8;
                    unsigned bh[2], blo[2];
                    split(hr[0], bh[0], blo[0]);
                    split(hr[4 * RH], bh[1], blo[1]);
                    mma3_tf32(yacc[mi][nt], ylo[mi][nt], ah, alo, bh, blo);
                }
            }
        }
#pragma unroll
        for (int mi = 0; mi < 2; ++mi)
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int i = 16 * mi + g8 + 8 * half;
                if (t0 + i >= t1c) continue;
                float* orow = out + ((size_t)b * L + t0 + i) * xRow + eBase;
#pragma unroll
                for (int nt = 0; nt < NT; ++nt) {
                    const int cc = cw0 + 8 * nt + 2 * t4;
                    const float v0 = fmaf(dd, xs[i * RX + cc], yacc[mi][nt][2 * half] + ylo[mi][nt][2 * half]);
                    const float v1 = fmaf(dd, xs[i * RX + cc + 1], yacc[mi][nt][2 * half + 1] + ylo[mi][nt][2 * half + 1]);
                    if (vec2 && p0 + cc + 1 < P) {
                        *reinterpret_cast<float2*>(orow + cc) = make_float2(v0, v1);
                    } else {
                        if (p0 + cc < P) orow[cc] = v0;
                        if (p0 + cc + 1 < P) orow[cc + 1] = v1;
                    }
                }
            }

        // H_out = exp2(a2·S_last)·H_in + (B ⊙ exp2(a2·(S_last − S_j))·δ_j)ᵀ X, one state m-tile at a time.
#pragma unroll
        for (int m = 0; m < MT; ++m) {
            float hacc[NT][4], hlo[NT][4];
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
                for (int r = 0; r < 4; ++r) hacc[nt][r] = hlo[nt][r] = 0.f;
#pragma unroll
            for (int ks = 0; ks < 4; ++ks) {
                const int j0 = 8 * ks + t4;
                const float e0 = ebs[j0], e1 = ebs[j0 + 4];
                const float* br = bs + j0 * RBC + 16 * m + g8;
                unsigned ah[4], alo[4];
                split(e0 * br[0], ah[0], alo[0]);
                split(e0 * br[8], ah[1], alo[1]);
                split(e1 * br[4 * RBC], ah[2], alo[2]);
                split(e1 * br[4 * RBC + 8], ah[3], alo[3]);
#pragma unroll
                for (int nt = 0; nt < NT; ++nt) {
                    mma3_tf32(hacc[nt], hlo[nt], ah, alo, xh[ks][nt], xl[ks][nt]);
                }
            }
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    hreg[m][nt][r] = fmaf(dk, hreg[m][nt][r], hacc[nt][r] + hlo[nt][r]);
                    Hout[(16 * m + g8 + 8 * (r >> 1)) * RH + cw0 + 8 * nt + 2 * t4 + (r & 1)] = hreg[m][nt][r];
                }
        }
    }
    sl_cp_wait_all();
    // (the same loop as the state load above; kept as two loops: a shared lambda changed the machine code
    // that was checked and timed on the GPU)
    if (nch == 1) {
#pragma unroll
        for (int m = 0; m < MT; ++m)
#pragma unroll
            for (int nt = 0; nt < NT; ++nt)
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    const int s = 16 * m + g8 + 8 * (r >> 1), cc = cw0 + 8 * nt + 2 * t4 + (r & 1);
                    if (s < N && p0 + cc < P) hState[((size_t)b * E + eBase + cc) * N + s] = hreg[m][nt][r];
                }
    }
}

}  // namespace sl

// Kernel names: ssd_out_mma_n{NS}; blockDim.x = 32·NW, grid (H·⌈P/(NW·CW)⌉, NCH, B), dynamic shared memory
// sl::SsdoLayout<NS, NW, CW>::BYTES, exported as <name>_smem. Arguments as the other scan kernels
// (SL_SCAN_ARGS; z and sdelta are not read). N <= NS.
#define SL_SSDO_INSTANCE(NAME, NSV, NWV, CWV, MINB) \
    extern "C" { __constant__ int NAME##_smem = sl::SsdoLayout<NSV, NWV, CWV>::BYTES; } \
    extern "C" __global__ void __launch_bounds__(32 * NWV, MINB) NAME(SL_SCAN_ARGS) \
    { sl::ssd_out_mma_body<NSV, NWV, CWV>(u, delta, A, Bm, Cm, D, dbias, softplus, hState, hloc, out, L, E, N, H, G, nch, chunkLen); }
#ifndef SL_SSDO_VARIANTS
#define SL_SSDO_VARIANTS SL_SSDO_INSTANCE(ssd_out_mma_n64, 64, 4, 16, 2)
#endif
SL_SSDO_VARIANTS
