// Mamba-2 SSD (spec ops §9) in its chunked matrix form on tensor cores, at fp32 accuracy (3xTF32,
// tf32.cuh), with an initial state in and the final state out; every input is read once.
//
// Glossary: B batch, L tokens of this call, H heads, P head dim, E = H·P channels, N state size (<= 16,
// zero-padded to NS = 16), G groups of B/C rows, Q = 32 tokens per chunk, NW warps per block, CW head
// dims per warp (8 or 16), PB = NW·CW head dims per block, NT = CW / 8 mma n-tiles per warp.
// Layouts as in ssd_seg.cuh: x, out (B, L, H, P); dt (B, L, H); A, D, dt bias (H); Bm, Cm (B, L, G, N);
// state (B, H, P, N) = (B, E, N).
//
// Why: the scalar recurrence needs three fp32 instructions per state element and token (h = a·h + δx·B,
// y += C·h); on an H100 that issue work alone keeps the segment kernel (ssd_seg.cuh) under half of the
// memory bandwidth. Within a chunk of Q tokens the same result is a few small matrix products (δ_j
// the step, S_i = Σ_{k<=i} δ_k, a2 = A·log2 e, decay(i, j) = exp2(a2·(S_i − S_j))):
//   M   = (C Bᵀ) ⊙ decay(i, j)·δ_j for j <= i, 0 above the diagonal      (Q × Q, K = N)
//   Y   = M X + diag(exp2(a2·S_i)) C H_in + D·X                          (Q × PB)
//   H_out = exp2(a2·S_last) H_in + (B ⊙ exp2(a2·(S_last − S_j))·δ_j)ᵀ X   (N × PB, K = Q)
// which run on mma.sync m16n8k8 tf32 with every operand split into hi + lo (three MMAs per product:
// lo·hi + hi·lo + hi·hi), so products keep ~2^-21 relative accuracy. The state H stays fp32 in
// registers (the MMAs of a chunk start from zero and are added with a rounded FFMA, so the tensor
// cores' truncating accumulation never runs across chunks). S is summed in double, so decay(i, j) of
// neighbouring tokens does not lose digits to the cancellation S_i − S_j.
// A block owns PB head dims of one (image, head) and walks the sequence chunk by chunk (3 cp.async
// stages). Warp w owns head dims [w·CW, w·CW + CW) for Y and H_out; the Q × Q products (C Bᵀ and the
// decay mask) are shared through shared memory, split over the warps by 16 × 8 tiles.
// Per chunk, 2 barriers: (A) chunk landed; (C) M ready. Every warp computes the chunk's per-token values
// (δ, S, scales) itself from a dt read a chunk ahead, so they need no barrier.
// Single pass only (one block walks the whole sequence of its (image, head)).
// Status: an experiment, not in the fatbin. It passes the float64 checks of ssd_mma_check.cu (worst 3.9e-7)
// but runs at 0.6-0.7x of the segment kernel at L = 64K on an H100 (results-h100/ssd-mma-tried/ and
// NOTES.md, "Tensor-core SSD at fp32 accuracy: tried"): per chunk it is latency-bound with 12 warps per SM.
#pragma once
#include "../../main/cuda/common.cuh"
#include "../../main/cuda/cp_async.cuh"
#include "../../main/cuda/tf32.cuh"

namespace slssd {

constexpr int Q = 32;          // tokens per chunk
constexpr int NS = 16;         // state rows (N <= 16, zero-padded)
constexpr int RBC = NS + 4;    // B/C rows: lane (g, t) reading row g, column t hits 32 banks
constexpr int STAGES = 3;

template <int NW, int CW>
struct MmaLayout {
    static constexpr int PB = NW * CW;
    static constexpr int RX = PB + 8;          // x rows: lane (g, t) reading row t, column g hits 32 banks
    static constexpr int RM = Q + 4;           // M rows
    static constexpr int RH = PB + 8;          // state rows (one per state)
    static constexpr int STAGE = Q * RX + 2 * Q * RBC;                  // x, B, C
    // stages, M, two state buffers, per warp: S (Q doubles), δ, exp2(a2·S_i), exp2(a2·(S_last − S_j))·δ_j
    static constexpr int FLOATS = STAGES * STAGE + Q * RM + 2 * NS * RH + NW * 5 * Q;
    static constexpr int BYTES = 4 * FLOATS;
};

// The 6 nonzero 16 × 8 tiles of the causal Q × Q matrix: (m-tile, n-tile).
__device__ __forceinline__ void mtile(int k, int& mi, int& jn) { mi = k < 2 ? 0 : 1; jn = k < 2 ? k : k - 2; }

template <int NW, int CW>
__device__ __forceinline__ void ssd_mma_body(
    const float* __restrict__ x, const float* __restrict__ dt, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ D,
    const float* __restrict__ dbias, int softplus, float* __restrict__ hState, float* __restrict__ out,
    int L, int E, int N, int H, int G)
{
    using LY = MmaLayout<NW, CW>;
    constexpr int PB = LY::PB, RX = LY::RX, RM = LY::RM, RH = LY::RH, NT = CW / 8, NTH = 32 * NW;
    constexpr int MT = (6 + NW - 1) / NW;      // causal tiles per warp (at most)
    static_assert(CW == 8 || CW == 16, "a warp owns one or two n-tiles of head dims");
    using sltf::split;
    using sltf::mma_tf32;
    extern __shared__ __align__(16) float smem[];

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g8 = lane >> 2, t4 = lane & 3;
    const int P = E / H;
    const int bph = (P + PB - 1) / PB;
    const int h = blockIdx.x / bph;
    const int p0 = (blockIdx.x - h * bph) * PB;
    const int b = blockIdx.y;
    const int grp = h / (H / G);
    const float a2 = A[h] * SL_LOG2E;
    const float bias = dbias ? dbias[h] : 0.f;
    const float dd = D ? D[h] : 0.f;

    float* Ms = smem + STAGES * LY::STAGE;                          // (Q, RM)
    float* Hs = Ms + Q * RM;                                        // 2 × (NS, RH)
    // Per-token values of the chunk, one copy per warp (each warp computes them: no barrier):
    // S (Q doubles), δ, exp2(a2·S_i), exp2(a2·(S_last − S_j))·δ_j (Q floats each).
    double* Sd = reinterpret_cast<double*>(Hs + 2 * NS * RH) + warp * Q;
    float* dls = reinterpret_cast<float*>(Sd - warp * Q + NW * Q) + warp * 3 * Q;
    float* ecs = dls + Q;
    float* ebs = ecs + Q;

    const int cw0 = warp * CW;                                      // this warp's first head dim in the block
    // State in registers, accumulator layout: hreg[nt][r] = H[state g8 + 8(r >> 1)][head dim cw0 + 8nt + 2t4 + (r & 1)].
    float hreg[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int st = g8 + 8 * (r >> 1), c = cw0 + 8 * nt + 2 * t4 + (r & 1);
            const bool v = st < N && p0 + c < P;
            hreg[nt][r] = v ? hState[((size_t)b * E + (size_t)h * P + p0 + c) * N + st] : 0.f;
            Hs[st * RH + c] = hreg[nt][r];
        }

    auto al = [](const void* ptr) { return (reinterpret_cast<size_t>(ptr) & 15) == 0; };
    const bool xv4 = P % 4 == 0 && al(x);
    const bool bc4 = N % 4 == 0 && al(Bm) && al(Cm);
    const size_t xRow = (size_t)E, bRow = (size_t)G * N;
    const float* xb = x + (size_t)b * L * xRow + (size_t)h * P + p0;
    const float* bb = Bm + (size_t)b * L * bRow + (size_t)grp * N;
    const float* cb = Cm + (size_t)b * L * bRow + (size_t)grp * N;
    const float* db = dt + (size_t)b * L * H + h;
    auto load = [&](int chunk, int st) {
        float* xs = smem + st * LY::STAGE;
        float* bs = xs + Q * RX;
        float* cs = bs + Q * RBC;
        const int t0 = chunk * Q;
        const int tv = min(Q, L - t0);
        if (xv4) {
            for (int i = tid; i < Q * PB / 4; i += NTH) {
                const int r = i / (PB / 4), c = 4 * (i - r * (PB / 4));
                const bool v = r < tv && p0 + c < P;
                sl::sl_cp<16>(xs + r * RX + c, v ? xb + (size_t)(t0 + r) * xRow + c : x, v);
            }
        } else {
            for (int i = tid; i < Q * PB; i += NTH) {
                const int r = i / PB, c = i - r * PB;
                const bool v = r < tv && p0 + c < P;
                sl::sl_cp<4>(xs + r * RX + c, v ? xb + (size_t)(t0 + r) * xRow + c : x, v);
            }
        }
        if (bc4) {
            for (int i = tid; i < Q * NS / 4; i += NTH) {
                const int r = i / (NS / 4), c = 4 * (i - r * (NS / 4));
                const bool v = r < tv && c < N;
                const size_t o = (size_t)(t0 + r) * bRow + c;
                sl::sl_cp<16>(bs + r * RBC + c, v ? bb + o : Bm, v);
                sl::sl_cp<16>(cs + r * RBC + c, v ? cb + o : Cm, v);
            }
        } else {
            for (int i = tid; i < Q * NS; i += NTH) {
                const int r = i / NS, c = i - r * NS;
                const bool v = r < tv && c < N;
                const size_t o = (size_t)(t0 + r) * bRow + c;
                sl::sl_cp<4>(bs + r * RBC + c, v ? bb + o : Bm, v);
                sl::sl_cp<4>(cs + r * RBC + c, v ? cb + o : Cm, v);
            }
        }
    };
    // dt of token t0 + lane, read a chunk ahead into a register (a plain load: its latency hides behind
    // a whole chunk of work).
    auto load_dt = [&](int t0) { return t0 + lane < L ? db[(size_t)(t0 + lane) * H] : 0.f; };

    const int chunks = (L + Q - 1) / Q;
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < chunks) load(s, s);
        sl::sl_cp_commit();
    }
    float dtc = chunks > 0 ? load_dt(0) : 0.f;
    const bool vec2 = (E % 2 == 0) && (P % 2 == 0) && ((reinterpret_cast<size_t>(out) & 7) == 0);

    for (int chunk = 0; chunk < chunks; ++chunk) {
        const int st = chunk % STAGES;
        const float* xs = smem + st * LY::STAGE;
        const float* bs = xs + Q * RX;
        const float* cs = bs + Q * RBC;
        const float* Hin = Hs + (chunk & 1) * NS * RH;
        float* Hout = Hs + ((chunk + 1) & 1) * NS * RH;
        const int t0 = chunk * Q;
        asm volatile("cp.async.wait_group %0;\n" :: "n"(STAGES - 2));
        __syncthreads();                                            // (A)
        if (chunk + STAGES - 1 < chunks) load(chunk + STAGES - 1, (chunk + STAGES - 1) % STAGES);
        sl::sl_cp_commit();
        const float dtn = chunk + 1 < chunks ? load_dt(t0 + Q) : 0.f;

        // Per token (lane = token): δ, S in double by a shuffle scan, and the scales.
        float dk;                                                   // exp2(a2·S_last): the chunk's decay
        {
            float dl = dtc + bias;
            if (softplus) dl = sl::sl_softplus(dl);
            dl = t0 + lane < L ? dl : 0.f;                          // past L: a = 1, δx = 0, the state passes
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

        // C Bᵀ on this warp's causal tiles. Two accumulators per product (the lo terms, hi·hi): shorter
        // dependency chains through the tensor pipe.
        float gacc[MT][4], glo[MT][4];
#pragma unroll
        for (int q = 0; q < MT; ++q) {
#pragma unroll
            for (int r = 0; r < 4; ++r) gacc[q][r] = glo[q][r] = 0.f;
            const int k = warp + q * NW;
            if (k < 6) {
                int mi, jn;
                mtile(k, mi, jn);
#pragma unroll
                for (int ks = 0; ks < 2; ++ks) {
                    const float* ar = cs + (16 * mi + g8) * RBC + 8 * ks + t4;
                    const float* br = bs + (8 * jn + g8) * RBC + 8 * ks + t4;
                    unsigned ah[4], alo[4], bh[2], blo[2];
                    split(ar[0], ah[0], alo[0]);
                    split(ar[8 * RBC], ah[1], alo[1]);
                    split(ar[4], ah[2], alo[2]);
                    split(ar[8 * RBC + 4], ah[3], alo[3]);
                    split(br[0], bh[0], blo[0]);
                    split(br[4], bh[1], blo[1]);
                    mma_tf32(glo[q], alo, bh);
                    mma_tf32(glo[q], ah, blo);
                    mma_tf32(gacc[q], ah, bh);
                }
            }
        }

        // X as the B operand (k = token, n = head dim), split once for M X and for the state update.
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

        // M = G ⊙ decay(i, j)·δ_j below the diagonal.
#pragma unroll
        for (int q = 0; q < MT; ++q) {
            const int k = warp + q * NW;
            if (k < 6) {
                int mi, jn;
                mtile(k, mi, jn);
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    const int i = 16 * mi + g8 + 8 * (r >> 1), j = 8 * jn + 2 * t4 + (r & 1);
                    const float m = (gacc[q][r] + glo[q][r]) * exp2f(a2 * (float)(Sd[i] - Sd[j])) * dls[j];
                    Ms[i * RM + j] = j <= i ? m : 0.f;
                }
            }
        }
        __syncthreads();                                            // (C) M ready

        // Independent chains, interleaved: Y = M X + diag(exp2(a2·S_i)) C H_in and the chunk's state
        // contribution (B ⊙ exp2(a2·(S_last − S_j))·δ_j)ᵀ X, each from zero.
        float yacc[2][NT][4], ylo[2][NT][4], hacc[NT][4], hlo[NT][4];
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
            for (int r = 0; r < 4; ++r) {
                hacc[nt][r] = hlo[nt][r] = 0.f;
                yacc[0][nt][r] = ylo[0][nt][r] = yacc[1][nt][r] = ylo[1][nt][r] = 0.f;
            }
#pragma unroll
        for (int ks = 0; ks < 4; ++ks) {
            const int j0 = 8 * ks + t4;
            const float e0 = ebs[j0], e1 = ebs[j0 + 4];
            const float* br = bs + j0 * RBC + g8;
            unsigned ah[4], alo[4];
            split(e0 * br[0], ah[0], alo[0]);
            split(e0 * br[8], ah[1], alo[1]);
            split(e1 * br[4 * RBC], ah[2], alo[2]);
            split(e1 * br[4 * RBC + 8], ah[3], alo[3]);
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                mma_tf32(hlo[nt], alo, xh[ks][nt]);
                mma_tf32(hlo[nt], ah, xl[ks][nt]);
                mma_tf32(hacc[nt], ah, xh[ks][nt]);
            }
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
                    mma_tf32(ylo[mi][nt], ml, xh[ks][nt]);
                    mma_tf32(ylo[mi][nt], mh, xl[ks][nt]);
                    mma_tf32(yacc[mi][nt], mh, xh[ks][nt]);
                }
            }
        }
#pragma unroll
        for (int mi = 0; mi < 2; ++mi) {
            const float r0 = ecs[16 * mi + g8], r1 = ecs[16 * mi + g8 + 8];
#pragma unroll
            for (int ks = 0; ks < 2; ++ks) {
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
                    mma_tf32(ylo[mi][nt], alo, bh);
                    mma_tf32(ylo[mi][nt], ah, blo);
                    mma_tf32(yacc[mi][nt], ah, bh);
                }
            }
        }
#pragma unroll
        for (int mi = 0; mi < 2; ++mi)
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int i = 16 * mi + g8 + 8 * half;
                if (t0 + i >= L) continue;
                float* orow = out + ((size_t)b * L + t0 + i) * xRow + (size_t)h * P + p0;
#pragma unroll
                for (int nt = 0; nt < NT; ++nt) {
                    const int c = cw0 + 8 * nt + 2 * t4;
                    const float v0 = fmaf(dd, xs[i * RX + c], yacc[mi][nt][2 * half] + ylo[mi][nt][2 * half]);
                    const float v1 = fmaf(dd, xs[i * RX + c + 1], yacc[mi][nt][2 * half + 1] + ylo[mi][nt][2 * half + 1]);
                    if (vec2 && p0 + c + 1 < P) {
                        *reinterpret_cast<float2*>(orow + c) = make_float2(v0, v1);
                    } else {
                        if (p0 + c < P) orow[c] = v0;
                        if (p0 + c + 1 < P) orow[c + 1] = v1;
                    }
                }
            }
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
            for (int r = 0; r < 4; ++r) {
                hreg[nt][r] = fmaf(dk, hreg[nt][r], hacc[nt][r] + hlo[nt][r]);
                Hout[(g8 + 8 * (r >> 1)) * RH + cw0 + 8 * nt + 2 * t4 + (r & 1)] = hreg[nt][r];
            }
    }
    sl::sl_cp_wait_all();
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int s = g8 + 8 * (r >> 1), c = cw0 + 8 * nt + 2 * t4 + (r & 1);
            if (s < N && p0 + c < P) hState[((size_t)b * E + (size_t)h * P + p0 + c) * N + s] = hreg[nt][r];
        }
}

}  // namespace slssd

#define SL_SSDMMA_ARGS const float* x, const float* dt, const float* A, const float* Bm, const float* Cm, \
    const float* D, const float* dbias, int softplus, float* hState, float* out, int L, int E, int N, int H, int G
#define SL_SSDMMA_PASS x, dt, A, Bm, Cm, D, dbias, softplus, hState, out, L, E, N, H, G

// Kernel names: ssd_mma_w{NW}_c{CW}; blockDim.x = 32·NW; grid (H·⌈P/(NW·CW)⌉, B); dynamic shared memory
// slssd::MmaLayout<NW, CW>::BYTES, exported as ssd_mma_w{NW}_c{CW}_smem. N <= 16.
#define SL_SSDMMA_INSTANCE(NWV, CWV, MINB) \
    extern "C" { __constant__ int ssd_mma_w##NWV##_c##CWV##_smem = slssd::MmaLayout<NWV, CWV>::BYTES; } \
    extern "C" __global__ void __launch_bounds__(32 * NWV, MINB) ssd_mma_w##NWV##_c##CWV(SL_SSDMMA_ARGS) \
    { slssd::ssd_mma_body<NWV, CWV>(SL_SSDMMA_PASS); }

#ifndef SL_SSDMMA_VARIANTS
#define SL_SSDMMA_VARIANTS SL_SSDMMA_INSTANCE(4, 8, 4)
#endif
SL_SSDMMA_VARIANTS
