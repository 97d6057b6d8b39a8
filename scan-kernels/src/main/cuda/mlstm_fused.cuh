// mLSTM chunkwise with the state on chip (bf16 tensor cores, mma.sync), for head dims that are a
// multiple of 128. One block owns (b, head, column slab of 64 value channels, segment of chunks) and
// walks its chunks in order, keeping its slab of C in fp32 registers from chunk to chunk, so the
// per-chunk states never cross memory (the three-pass form of mlstm_mma.cuh writes and reads them four
// times: 16·DH²/Q bytes per token and head, which caps it near 5% of the bf16 peak at any head dim).
//
// Glossary: B batch, L tokens, NH heads, DH head dim (128·MI), NS = 64 value channels per block (the
// slab), NSL = DH/NS slabs, Q chunk length (64 at DH 128 and 256; 32 at DH 384 and 512, where the
// prefetch buffers fit shared memory only at Q 32), NCH = ceil(L/Q),
// G segments of SPC chunks each (G = 1: one block walks the whole sequence).
// Layouts (as mlstm.cuh): q, k, v, h (B, L, NH, DH); ig, fg (B, L, NH); C (B, NH, DH, DH) rows = key
// channel; n (B, NH, DH); m (B, NH) fp32. Per-segment buffers Cs (B, NH, G, DH·DH), ns (B, NH, G, DH),
// ms, gs (B, NH, G) fp64: the layout of mlstm.cuh's per-chunk buffers with a segment in place of a
// chunk, so mlstm_chunk_decay and mlstm_combine run unchanged over segments.
//
// Launches (CudaOps.mlstmBf16 for DH % 128 == 0):
//   G = 1: out mode from (C, n copy, m copy) -> h and the final (C, n, m). C's slab is read at the start
//          and written at the end by the block that owns it; n and m are read by every slab block, so the
//          caller passes copies of them.
//   G > 1: state mode (segment-local state from the fresh state -> Cs, ns, ms, gs), mlstm_chunk_decay and
//          mlstm_combine over G segments (Cs, ns become every segment's incoming state), then out mode
//          from (Cs, ns, ms) -> h.
// Grid (NSL·G, NH, B), 256 threads, dynamic shared memory NAME_smem bytes (smem_bytes / smem_bytes_bq below;
// CudaOps reads the constants). The _bq builds take q and k already in bf16 (CudaOps converts them first,
// CudaOps.FusedQk) and copy the next chunk's inputs with cp.async while the current one computes, its gates
// from mlstm_gate_prep's records; their outputs are the fp32-input builds' bits.
//
// Per chunk (chunk-local b_s = Σ_{r≤s} log f_r, g = b_{qn−1}, m⁻ the incoming stabilizer):
//   m_τ = b_τ + max(m⁻, max_{σ≤τ}(ĩ_σ − b_σ)),  m⁺ = max(g + m⁻, g + max_σ(ĩ_σ − b_σ))
//   P = bf16(exp(b_τ − b_σ + ĩ_σ − m_τ)·(q_τ·k_σ)/√DH) for σ ≤ τ     (S = Q·Kᵀ on tensor cores)
//   h_τ = (w_τ·(q_τ·C⁻) + Σ_σ P_τσ v_σ) / (max(|w_τ·q_τ·n⁻ + Σ_σ P_τσ|, exp(−m_τ)) + eps),  w_τ = exp(b_τ + m⁻ − m_τ)
//   C⁺ = exp(g + m⁻ − m⁺)·C⁻ + Kᵀ·(u ⊙ V),  n⁺ = exp(g + m⁻ − m⁺)·n⁻ + Kᵀ·u,  u_σ = exp(g − b_σ + ĩ_σ − m⁺)/√DH
// Precision as the bf16 form of mlstm_mma.cuh: bf16 (nearest even) q, k, v, u ⊙ v, P and C⁻ as a product operand;
// fp32 accumulators, C and n in fp32 registers across chunks (n as a bf16(u) and a rest column, below); gate
// sums and stabilizers in fp64. The gate weight sits on v (u ⊙ v) instead of on k, so one bf16 copy of k serves S and the
// state update; each term still carries two roundings (k, u ⊙ v), as in the three-pass form.
//
// Warp work (8 warps). State update: warp w owns key rows [w·16·MI, (w+1)·16·MI) of the slab, MI × 8
// fragments of m16n8 = 32·MI fp32 registers per thread, and MI more for n. S (Q × Q) and O (Q × NS): warp w
// takes row tile w / WPM (WPM = 128/Q warps per 16-row tile) and a contiguous run of n8 tiles; S tiles wholly
// above the diagonal are skipped, and the warps left without any compute q·n⁻ on tensor cores instead.
#pragma once
#include "common.cuh"
#include <cuda_bf16.h>
#include "mma_frag.cuh"
#include "mma_store.cuh"   // sl::zero_mma_tiles
#include "mlstm_gates.cuh"
#include "cp_async.cuh"
#include <type_traits>

namespace slmf {
constexpr int NS = 64, LDC = NS + 8, THREADS = 256;

// Shared memory (bytes): q and k (Q, DH + 8) bf16, C slab (DH, NS + 8) bf16, v and u ⊙ v (Q, NS + 8) bf16,
// P (Q, Q + 8) bf16, b and the running max of ĩ − b (Q) fp64, ĩ, u, q·n (Q) fp32, row sums of P (128/Q warps'
// parts, Q) fp32, n's bf16 copy (DH). The pads put the 8 row addresses of every ldmatrix phase in
// distinct 16-byte bank groups.
__host__ __device__ constexpr int smem_bytes(int mi, int q)
{
    return 2 * 2 * q * (128 * mi + 8) + 2 * 128 * mi * LDC + 2 * 2 * q * LDC + 2 * q * (q + 8) + 2 * 8 * q + 4 * 3 * q
           + 4 * 128 + 2 * 128 * mi;
}
// The _bq builds prefetch: while chunk c computes, cp.async copies chunk c+1's q and k into a second pair of
// (Q, DH + 8) bf16 buffers, its gate record (mlstm_gate_prep) into a second (b, a, ĩ) buffer, and, once chunk c's
// v is converted, its fp32 v slab into a (Q, NS) staging buffer; all after n's copy. That has to fit the H100's
// 227 KB per block, which sets the chunks below (DH 384 at Q 64 would need 287 KB).
constexpr int SMEM_MAX = 232448;
constexpr int GATE_BYTES_PER_TOKEN = 20;   // b and a fp64, ĩ fp32
__host__ __device__ constexpr int gate_bytes(int q) { return GATE_BYTES_PER_TOKEN * q; }
__host__ __device__ constexpr int smem_bytes_bq(int mi, int q)
{
    return smem_bytes(mi, q) + 2 * 2 * q * (128 * mi + 8) + gate_bytes(q) + 4 * q * NS;
}

// The chunk's q (when withQ) and k rows as bf16, zero past the chunk's last token. Loads go out in
// batches of BATCH per tensor before any is converted: with one block per SM the staging is latency-bound,
// and a loop of one load at a time took ~20K cycles of a chunk on the H100 (DH 512, Q 32: 16 sequential
// round trips of each tensor per thread).
template <int DH, int Q, int BATCH>
__device__ __forceinline__ void stage_qk(__nv_bfloat16* sQ, __nv_bfloat16* sK, const float* q, const float* k,
                                         size_t rowStride, int qn, bool withQ)
{
    constexpr int W4 = DH / 4, PER = Q * W4 / THREADS, LDQ = DH + 8;   // float4 of each tensor per thread
    static_assert(Q * W4 % THREADS == 0 && PER % BATCH == 0, "whole batches per thread");
    const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
    for (int j0 = 0; j0 < PER; j0 += BATCH) {
        float4 xq[BATCH], xk[BATCH];
#pragma unroll
        for (int j = 0; j < BATCH; ++j) {
            const int i = threadIdx.x + (j0 + j) * THREADS, s = i / W4, d = (i - s * W4) * 4;
            const size_t off = (size_t)s * rowStride + d;
            xk[j] = s < qn ? __ldg(reinterpret_cast<const float4*>(k + off)) : zero;
            xq[j] = withQ && s < qn ? __ldg(reinterpret_cast<const float4*>(q + off)) : zero;
        }
#pragma unroll
        for (int j = 0; j < BATCH; ++j) {
            const int i = threadIdx.x + (j0 + j) * THREADS, s = i / W4, d = (i - s * W4) * 4;
            slm16::st_bf16x4(sK + s * LDQ + d, xk[j]);
            if (withQ) slm16::st_bf16x4(sQ + s * LDQ + d, xq[j]);
        }
    }
}

// The chunk's q (when withQ) and k rows given in bf16: 16-byte cp.async copies straight into shared
// memory, every copy of the chunk in flight at once and none of them holding registers (the fp32 staging
// above keeps 8 loads in flight per thread); zero-filled past the chunk's last token. The caller commits the
// group and waits for it before the barrier ahead of the chunk's first read.
template <int DH, int Q>
__device__ __forceinline__ void stage_qk(__nv_bfloat16* sQ, __nv_bfloat16* sK, const __nv_bfloat16* q,
                                         const __nv_bfloat16* k, size_t rowStride, int qn, bool withQ)
{
    constexpr int W8 = DH / 8, LDQ = DH + 8;
    auto copy = [&](int s, int d) {
        const bool valid = s < qn;
        const size_t off = valid ? (size_t)s * rowStride + d : 0;
        sl::sl_cp<16>(reinterpret_cast<float*>(sK + s * LDQ + d), reinterpret_cast<const float*>(k + off), valid);
        if (withQ) sl::sl_cp<16>(reinterpret_cast<float*>(sQ + s * LDQ + d), reinterpret_cast<const float*>(q + off), valid);
    };
    if constexpr (THREADS % W8 == 0 && Q % (THREADS / W8) == 0) {
        // a thread keeps its column and steps THREADS / W8 rows: no index division per copy
        constexpr int RS = THREADS / W8;
        const int s0 = threadIdx.x / W8, d = (threadIdx.x - s0 * W8) * 8;
#pragma unroll
        for (int j = 0; j < Q / RS; ++j) copy(s0 + j * RS, d);
    } else {
        for (int i = threadIdx.x; i < Q * W8; i += THREADS) {
            const int s = i / W8;
            copy(s, (i - s * W8) * 8);
        }
    }
}

// cp.async copies of n 16-byte words from src to dst, spread over the block's threads
__device__ __forceinline__ void copy_words(void* dst, const void* src, int n)
{
    for (int i = threadIdx.x; i < n; i += THREADS)
        sl::sl_cp<16>(reinterpret_cast<float*>(dst) + 4 * i, reinterpret_cast<const float*>(src) + 4 * i, true);
}

// Warp w's S tiles (row tile w / (128/Q), n8 tiles from (w % (128/Q))·FS) all lie above the diagonal.
template <int Q>
__host__ __device__ constexpr bool s_idle(int w)
{
    constexpr int WPM = 128 / Q, FS = Q / (8 * WPM);
    return (w % WPM) * FS * 8 > (w / WPM) * 16 + 15;
}
template <int Q>
__host__ __device__ constexpr int s_idle_warps()
{
    int n = 0;
    for (int w = 0; w < THREADS / 32; ++w) n += s_idle<Q>(w) ? 1 : 0;
    return n;
}

// QK: the element type of q and k in memory (float, or __nv_bfloat16 rounded by the caller).
template <int MI, int Q, class QK>
__device__ __forceinline__ void body(const QK* __restrict__ q, const QK* __restrict__ k, const float* __restrict__ v,
                                     const float* __restrict__ ig, const float* __restrict__ fg,
                                     const float* Cin, const float* nIn, const double* mInD, const float* mInF,
                                     float* h, float* Cout, float* nOut, double* mOutD, float* mOutF, double* gOut,
                                     int L, int NH, int G, int SPC, float eps, bool stateOnly,
                                     const unsigned char* __restrict__ gates)
{
    constexpr int DH = 128 * MI, LDQ = DH + 8, LDP = Q + 8, NSL = DH / NS;
    constexpr bool BQ = std::is_same<QK, __nv_bfloat16>::value;   // q and k given in bf16
    constexpr bool PF = BQ;                                        // the next chunk's inputs copied ahead
    static_assert(!PF || smem_bytes_bq(MI, Q) <= SMEM_MAX, "the prefetch buffers fit one block's shared memory");
    static_assert(smem_bytes(MI, Q) % 16 == 0 && gate_bytes(Q) % 16 == 0, "prefetch buffers 16-byte aligned");
    constexpr int WPM = 128 / Q;              // warps per 16-row tile of S and O
    constexpr int FS = Q / (8 * WPM);         // n8 tiles of S per warp
    constexpr int FO = NS / (8 * WPM);        // n8 tiles of O per warp
    SL_EXTERN_SHARED __align__(128) unsigned char smem_mf[];
    __nv_bfloat16* sQ0 = reinterpret_cast<__nv_bfloat16*>(smem_mf);  // (Q, LDQ) q of even chunks (all: fp32 input)
    __nv_bfloat16* sK0 = sQ0 + Q * LDQ;                               // (Q, LDQ) k of even chunks
    __nv_bfloat16* sC = sK0 + Q * LDQ;                                // (DH, LDC) C⁻ slab
    __nv_bfloat16* sV = sC + DH * LDC;                                // (Q, LDC)
    __nv_bfloat16* sU = sV + Q * LDC;                                 // (Q, LDC) u ⊙ v
    __nv_bfloat16* sP = sU + Q * LDC;                                 // (Q, LDP)
    double* sG0 = reinterpret_cast<double*>(sP + Q * LDP);            // gates of even chunks (all: fp32 input):
                                                                      // (Q) b_s, (Q) a_s = running max of ĩ − b,
                                                                      // (Q) ĩ fp32
    float* su = reinterpret_cast<float*>(sG0 + 2 * Q) + Q;            // (Q) u_σ
    float* sqn = su + Q;                                              // (Q) q_τ·n⁻
    float* sden = sqn + Q;                                            // (WPM, Q) Σ_σ P_τσ over each warp's columns
    __nv_bfloat16* sNb = reinterpret_cast<__nv_bfloat16*>(sden + WPM * Q);   // (DH) n as the bf16 operand of q·n⁻
    // PF only (else null: the layout above is the whole allocation)
    __nv_bfloat16* sQ1 = PF ? sNb + DH : nullptr;                                     // (Q, LDQ) q of odd chunks
    __nv_bfloat16* sK1 = PF ? sQ1 + Q * LDQ : nullptr;                                // (Q, LDQ) k of odd chunks
    double* sG1 = PF ? reinterpret_cast<double*>(sK1 + Q * LDQ) : nullptr;            // gates of odd chunks
    float* sVf = PF ? reinterpret_cast<float*>(sG1 + 2 * Q) + Q : nullptr;            // (Q, NS) fp32 v slab staged

    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g4 = lane >> 2, q4 = lane & 3;
    const int slab = blockIdx.x % NSL, seg = blockIdx.x / NSL, hh = blockIdx.y, b = blockIdx.z;
    const int c0 = slab * NS;
    const size_t bh = (size_t)b * NH + hh, sidx = bh * G + seg;
    const int nch = (L + Q - 1) / Q, cBeg = seg * SPC, cEnd = min(nch, cBeg + SPC);
    const float scale = rsqrtf((float)DH);
    const size_t rowStride = (size_t)NH * DH;

    // carried state: this warp's key rows of the slab, fp32
    float cst[MI][8][4];
    const int kr0 = warp * 16 * MI;
    // f(key row, column in the slab, the pair of values there) over this thread's C elements
    auto c_pairs = [&](auto f) {
#pragma unroll
        for (int i = 0; i < MI; ++i)
#pragma unroll
            for (int j = 0; j < 8; ++j)
#pragma unroll
                for (int hf = 0; hf < 2; ++hf) f(kr0 + 16 * i + g4 + 8 * hf, 8 * j + 2 * q4, cst[i][j][2 * hf], cst[i][j][2 * hf + 1]);
    };
    // n for this warp's key rows as the accumulators of one more n8 tile of the state update: column 0 sums the
    // products with bf16(u), column 1 those with the rest u − bf16(u), so n = c0 + c1 (lanes q4 = 0 hold rows g4
    // and g4 + 8) keeps u's fp32 accuracy
    float nacc[MI][4] = {};
    auto n_rows = [&](auto f) {   // f(key row, n) over this thread's rows, lanes q4 = 0
        if (q4 == 0)
#pragma unroll
            for (int i = 0; i < MI; ++i)
#pragma unroll
                for (int hf = 0; hf < 2; ++hf) f(kr0 + 16 * i + g4 + 8 * hf, nacc[i][2 * hf] + nacc[i][2 * hf + 1]);
    };
    double mPrev = -INFINITY;
    if (stateOnly) {
        sl::zero_mma_tiles(cst);
        for (int i = tid; i < DH; i += THREADS) sNb[i] = __float2bfloat16_rn(0.f);
    } else {
        const float* Cb = Cin + sidx * DH * DH;
        c_pairs([&](int r, int col, float& x0, float& x1) {
            const float2 x = *reinterpret_cast<const float2*>(Cb + (size_t)r * DH + c0 + col);
            x0 = x.x;
            x1 = x.y;
        });
        for (int i = tid; i < DH; i += THREADS) sNb[i] = __float2bfloat16_rn(nIn[sidx * DH + i]);
        if (q4 == 0)
#pragma unroll
            for (int i = 0; i < MI; ++i) {
                nacc[i][0] = nIn[sidx * DH + kr0 + 16 * i + g4];
                nacc[i][2] = nIn[sidx * DH + kr0 + 16 * i + g4 + 8];
            }
        mPrev = mInD ? mInD[sidx] : (double)mInF[bh];
    }
    auto store_c_slab = [&] {
        c_pairs([&](int r, int col, float& x0, float& x1) {
            *reinterpret_cast<unsigned*>(sC + r * LDC + col) = sl::pack_bf16x2(x0, x1);
        });
    };
    if (!stateOnly) store_c_slab();
    double gSum = 0.0;

    // ldmatrix lane offsets: A row-major (rows lane & 15, k half lane >> 4); B stored n-major (n rows,
    // k half); B stored k-major through .trans (k rows lane & 15, n half lane >> 4); A stored k-major
    // through .trans (k rows lane & 7 plus the k half lane >> 4, m half (lane >> 3) & 1)
    const int aRow = lane & 15, aCol = (lane >> 4) << 3;
    const int bRow = (lane & 7) + ((lane >> 4) << 3), bCol = ((lane >> 3) & 1) << 3;
    const int tRow = lane & 15, tCol = (lane >> 4) << 3;
    const int atRow = (lane & 7) + ((lane >> 4) << 3), atCol = ((lane >> 3) & 1) << 3;

    // with PF: chunk cc's bf16 q and k copies into (bq, bk) and its gate record into bg (one commit group)
    auto copy_qk = [&](int cc, __nv_bfloat16* bq, __nv_bfloat16* bk, double* bg) {
        const int tc = cc * Q;
        const size_t gc = ((size_t)b * L + tc) * NH + hh;
        if constexpr (PF) {
            stage_qk<DH, Q>(bq, bk, q + gc * DH, k + gc * DH, rowStride, min(Q, L - tc), !stateOnly);
            copy_words(bg, gates + (bh * nch + cc) * gate_bytes(Q), gate_bytes(Q) / 16);
        }
        sl::sl_cp_commit();
    };
    // with PF: chunk cc's fp32 v slab into sVf, zero past its last token (one commit group)
    auto copy_v = [&](int cc) {
        const int tc = cc * Q, qc = min(Q, L - tc);
        const size_t gc = ((size_t)b * L + tc) * NH + hh;
        constexpr int RS = THREADS / (NS / 4);   // rows a thread steps (its column fixed)
        static_assert(Q % RS == 0, "whole row steps");
        const int s0 = tid / (NS / 4), d = (tid - s0 * (NS / 4)) * 4;
#pragma unroll
        for (int j = 0; j < Q / RS; ++j) {
            const int s = s0 + j * RS;
            const bool valid = s < qc;
            sl::sl_cp<16>(sVf + s * NS + d, v + (valid ? (gc + (size_t)s * NH) * DH + c0 + d : 0), valid);
        }
        sl::sl_cp_commit();
    };
    if constexpr (PF) {
        if (cBeg < cEnd) {
            copy_qk(cBeg, sQ0, sK0, sG0);
            copy_v(cBeg);
        }
    }
    for (int c = cBeg; c < cEnd; ++c) {
        const int t0 = c * Q, qn = min(Q, L - t0);
        const size_t g0 = ((size_t)b * L + t0) * NH + hh;
        const bool inter = !isinf(mPrev);
        const bool odd = PF && ((c - cBeg) & 1);
        __nv_bfloat16* sQ = odd ? sQ1 : sQ0;
        __nv_bfloat16* sK = odd ? sK1 : sK0;
        double* sb = odd ? sG1 : sG0;
        double* smt = sb + Q;
        float* si = reinterpret_cast<float*>(smt + Q);
        // With PF this chunk's inputs were copied during the previous one (the first chunk's above); the next
        // chunk's q, k and gates go out now into the buffers the previous chunk read before its last barrier,
        // and the wait leaves only them in flight. The fp32-input builds load v (held in registers until the
        // gate sums are known), scan the gates in warp 0 and stage q and k themselves.
        constexpr int VW4 = NS / 4, VPER = Q * VW4 / THREADS;
        float4 vr[VPER];
        if constexpr (PF) {
            if (c + 1 < cEnd) {
                copy_qk(c + 1, odd ? sQ0 : sQ1, odd ? sK0 : sK1, odd ? sG0 : sG1);
                sl::sl_cp_wait<1>();
            } else {
                sl::sl_cp_wait_all();
            }
        } else {
#pragma unroll
            for (int j = 0; j < VPER; ++j) {
                const int i = tid + j * THREADS, s = i / VW4, d = (i - s * VW4) * 4;
                vr[j] = s < qn ? __ldg(reinterpret_cast<const float4*>(v + (g0 + (size_t)s * NH) * DH + c0 + d))
                               : make_float4(0.f, 0.f, 0.f, 0.f);
            }
            if (warp == 0) slm16::gate_scan(ig, fg, g0, NH, qn, Q, sb, smt, si);
            stage_qk<DH, Q, 4>(sQ, sK, q + g0 * DH, k + g0 * DH, rowStride, qn, !stateOnly);
        }
        __syncthreads();

        const double g = sb[qn - 1], mNew = fmax(g + mPrev, g + smt[qn - 1]);
        const float fdec = inter ? (float)exp(g + mPrev - mNew) : 0.f;
        for (int s = tid; s < Q; s += THREADS) su[s] = s < qn ? __expf((float)(g - sb[s] + si[s] - mNew)) * scale : 0.f;
        // v slab and u ⊙ v (the weight recomputed per row: su is not visible before the next barrier)
#pragma unroll
        for (int j = 0; j < VPER; ++j) {
            const int i = tid + j * THREADS, s = i / VW4, d = (i - s * VW4) * 4;
            const float u = s < qn ? __expf((float)(g - sb[s] + si[s] - mNew)) * scale : 0.f;
            const float4 x = PF ? *reinterpret_cast<const float4*>(sVf + s * NS + d) : vr[j];
            slm16::st_bf16x4(sV + s * LDC + d, x);
            slm16::st_bf16x4(sU + s * LDC + d, make_float4(x.x * u, x.y * u, x.z * u, x.w * u));
        }
        // with PF, once every thread has converted this chunk's v, the next chunk's goes out
        auto next_v = [&] {
            if constexpr (PF)
                if (c + 1 < cEnd) copy_v(c + 1);
        };
        // Rows τ need M_τ = max(m⁻, a_τ) (m_τ = b_τ + M_τ, w_τ = exp(m⁻ − M_τ)); each thread forms it for its own
        // rows, so no barrier separates this chunk's gates from S: S reads only q and k, landed at the barrier
        // above, and the v conversion is next read after the barrier ahead of O.
        auto row_max = [&](int t) { return fmax(mPrev, smt[t]); };
        if (!stateOnly) {
            // S = Q·Kᵀ for this warp's tiles, then P = bf16(decay·S/√DH) into shared memory and its row sums
            const int mt = warp / WPM, j0 = (warp % WPM) * FS;
            float sacc[FS][4];
#pragma unroll
            for (int f = 0; f < FS; ++f) sacc[f][0] = sacc[f][1] = sacc[f][2] = sacc[f][3] = 0.f;
            const bool anyS = !s_idle<Q>(warp);
            if (anyS) {
#pragma unroll 8
                for (int kk = 0; kk < DH; kk += 16) {
                    unsigned af[4];
                    sl::ldsm_x4(af[0], af[1], af[2], af[3], sQ + (mt * 16 + aRow) * LDQ + kk + aCol);
                    if constexpr (FS == 1) {
                        unsigned b0, b1;
                        sl::ldsm_x2(b0, b1, sK + (j0 * 8 + (lane & 7)) * LDQ + kk + (((lane >> 3) & 1) << 3));
                        sl::mma_bf16(sacc[0], af, b0, b1);
                    } else {
#pragma unroll
                        for (int jj = 0; jj < FS / 2; ++jj) {
                            const int j = j0 + 2 * jj;
                            if (j * 8 > mt * 16 + 15) continue;
                            unsigned b[4];
                            sl::ldsm_x4(b[0], b[1], b[2], b[3], sK + (j * 8 + bRow) * LDQ + kk + bCol);
                            sl::mma_bf16(sacc[2 * jj], af, b[0], b[1]);
                            sl::mma_bf16(sacc[2 * jj + 1], af, b[2], b[3]);
                        }
                    }
                }
            }
            float rs[2] = {0.f, 0.f};
#pragma unroll
            for (int f = 0; f < FS; ++f) {
                const int s0 = (j0 + f) * 8 + 2 * q4;
#pragma unroll
                for (int hf = 0; hf < 2; ++hf) {
                    const int t = mt * 16 + g4 + 8 * hf;
                    float p[2];
#pragma unroll
                    for (int e = 0; e < 2; ++e) {
                        const int s = s0 + e;
                        p[e] = 0.f;
                        if (s <= t && t < qn)
                            p[e] = __expf((float)(si[s] - sb[s] - row_max(t))) * sacc[f][2 * hf + e] * scale;
                    }
                    rs[hf] += slm16::st_bf16x2_sum(sP + t * LDP + s0, p[0], p[1]);
                }
            }
#pragma unroll
            for (int hf = 0; hf < 2; ++hf) {
                rs[hf] = slm16::quad_sum(rs[hf]);
                // one slot per warp of the row tile, summed in a fixed order below: no atomics, so h is
                // the same from run to run
                if (q4 == 0) sden[(warp % WPM) * Q + mt * 16 + g4 + 8 * hf] = rs[hf];
            }
            // q_τ·n⁻ on tensor cores by the warps whose S tiles all lie above the diagonal (they have no S work):
            // n's bf16 copy is the only column of an n8 B tile built in registers (lanes with g4 = 0 hold it)
            if (!anyS) {
                constexpr int IDLE = s_idle_warps<Q>();
                static_assert(IDLE >= 1, "some warp has no S tile");
                int r = 0;   // this warp's rank among them
                for (int w = 0; w < warp; ++w) r += s_idle<Q>(w) ? 1 : 0;
                for (int mq = r; mq < Q / 16; mq += IDLE) {
                    float acc[4] = {0.f, 0.f, 0.f, 0.f};
                    if (inter) {
#pragma unroll 8
                        for (int kk = 0; kk < DH; kk += 16) {
                            unsigned af[4];
                            sl::ldsm_x4(af[0], af[1], af[2], af[3], sQ + (mq * 16 + aRow) * LDQ + kk + aCol);
                            const unsigned b0 = g4 == 0 ? *reinterpret_cast<const unsigned*>(sNb + kk + 2 * q4) : 0u;
                            const unsigned b1 = g4 == 0 ? *reinterpret_cast<const unsigned*>(sNb + kk + 8 + 2 * q4) : 0u;
                            sl::mma_bf16(acc, af, b0, b1);
                        }
                    }
                    if (q4 == 0) {
                        sqn[mq * 16 + g4] = acc[0];
                        sqn[mq * 16 + g4 + 8] = acc[2];
                    }
                }
            }
            __syncthreads();
            next_v();

            // O = w ⊙ (Q·C⁻) + P·V for this warp's tiles, h = O / den
            const int jo = (warp % WPM) * FO;
            float oacc[FO][4];
#pragma unroll
            for (int f = 0; f < FO; ++f) oacc[f][0] = oacc[f][1] = oacc[f][2] = oacc[f][3] = 0.f;
            if (inter) {
#pragma unroll 8
                for (int kk = 0; kk < DH; kk += 16) {
                    unsigned af[4];
                    sl::ldsm_x4(af[0], af[1], af[2], af[3], sQ + (mt * 16 + aRow) * LDQ + kk + aCol);
#pragma unroll
                    for (int jj = 0; jj < FO / 2; ++jj) {
                        unsigned b[4];
                        sl::ldsm_x4_t(b[0], b[1], b[2], b[3], sC + (kk + tRow) * LDC + (jo + 2 * jj) * 8 + tCol);
                        sl::mma_bf16(oacc[2 * jj], af, b[0], b[1]);
                        sl::mma_bf16(oacc[2 * jj + 1], af, b[2], b[3]);
                    }
                }
                const float w0 = __expf((float)(mPrev - row_max(mt * 16 + g4))),
                            w1 = __expf((float)(mPrev - row_max(mt * 16 + g4 + 8)));
#pragma unroll
                for (int f = 0; f < FO; ++f) {
                    oacc[f][0] *= w0; oacc[f][1] *= w0;
                    oacc[f][2] *= w1; oacc[f][3] *= w1;
                }
            }
            for (int ks = 0; ks <= mt; ++ks) {   // P is zero right of the diagonal tile
                unsigned af[4];
                sl::ldsm_x4(af[0], af[1], af[2], af[3], sP + (mt * 16 + aRow) * LDP + ks * 16 + aCol);
#pragma unroll
                for (int jj = 0; jj < FO / 2; ++jj) {
                    unsigned b[4];
                    sl::ldsm_x4_t(b[0], b[1], b[2], b[3], sV + (ks * 16 + tRow) * LDC + (jo + 2 * jj) * 8 + tCol);
                    sl::mma_bf16(oacc[2 * jj], af, b[0], b[1]);
                    sl::mma_bf16(oacc[2 * jj + 1], af, b[2], b[3]);
                }
            }
#pragma unroll
            for (int hf = 0; hf < 2; ++hf) {
                const int t = mt * 16 + g4 + 8 * hf;
                if (t >= qn) continue;
                float ps = 0.f;
#pragma unroll
                for (int j = 0; j < WPM; ++j) ps += sden[j * Q + t];
                const double Mt = row_max(t);
                const float wt = inter ? __expf((float)(mPrev - Mt)) : 0.f;
                const float den = fmaxf(fabsf(fmaf(wt, sqn[t], ps)), (float)exp(-(sb[t] + Mt))) + eps;
                const float inv = 1.f / den;
                float* hrow = h + (g0 + (size_t)t * NH) * DH + c0;
#pragma unroll
                for (int f = 0; f < FO; ++f)
                    *reinterpret_cast<float2*>(hrow + (jo + f) * 8 + 2 * q4) =
                        make_float2(oacc[f][2 * hf] * inv, oacc[f][2 * hf + 1] * inv);
            }
        } else {
            __syncthreads();
            next_v();
        }

        // C⁺ = fdec·C⁻ + Kᵀ·(u ⊙ V) in registers; then C⁺'s bf16 copy once every warp is done with C⁻
#pragma unroll
        for (int i = 0; i < MI; ++i) {
#pragma unroll
            for (int j = 0; j < 8; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) cst[i][j][e] *= fdec;
#pragma unroll
            for (int e = 0; e < 4; ++e) nacc[i][e] *= fdec;
        }
        const int kb = (qn + 15) / 16;   // zero rows past qn add nothing
#pragma unroll
        for (int ks = 0; ks < Q / 16; ++ks) {
            if (ks >= kb) break;
            unsigned af[MI][4];
#pragma unroll
            for (int i = 0; i < MI; ++i)
                sl::ldsm_x4_t(af[i][0], af[i][1], af[i][2], af[i][3], sK + (ks * 16 + atRow) * LDQ + kr0 + 16 * i + atCol);
#pragma unroll
            for (int jj = 0; jj < 4; ++jj) {
                unsigned bfr[4];
                sl::ldsm_x4_t(bfr[0], bfr[1], bfr[2], bfr[3], sU + (ks * 16 + tRow) * LDC + jj * 16 + tCol);
#pragma unroll
                for (int i = 0; i < MI; ++i) {
                    sl::mma_bf16(cst[i][2 * jj], af[i], bfr[0], bfr[1]);
                    sl::mma_bf16(cst[i][2 * jj + 1], af[i], bfr[2], bfr[3]);
                }
            }
            // n⁺ = fdec·n⁻ + Kᵀ·u with the same bf16 k: the B tile's column g4 = 0 holds bf16(u) of the step's
            // tokens, column 1 the rest (tokens 2q4, 2q4 + 1 in b0, 8 more in b1), the other columns zero
            unsigned nb[2] = {0u, 0u};
            if (g4 < 2)
#pragma unroll
                for (int h8 = 0; h8 < 2; ++h8) {
                    const int t = ks * 16 + 2 * q4 + 8 * h8;
                    float x[2] = {su[t], su[t + 1]};
#pragma unroll
                    for (int e = 0; e < 2; ++e)
                        if (g4 == 1) x[e] -= __bfloat162float(__float2bfloat16_rn(x[e]));
                    nb[h8] = sl::pack_bf16x2(x[0], x[1]);
                }
#pragma unroll
            for (int i = 0; i < MI; ++i) sl::mma_bf16(nacc[i], af[i], nb[0], nb[1]);
        }
        n_rows([&](int r, float nv) { sNb[r] = __float2bfloat16_rn(nv); });
        mPrev = mNew;
        gSum += g;
        __syncthreads();
        if (!stateOnly && c + 1 < cEnd) {
            store_c_slab();
            // the next chunk's first barrier orders these stores before any read
        }
    }

    // outgoing state: the slab of C, and n, m, g from the first slab block of the (b, head, segment)
    if (Cout) {
        float* Cb = Cout + sidx * DH * DH;
        c_pairs([&](int r, int col, float& x0, float& x1) {
            *reinterpret_cast<float2*>(Cb + (size_t)r * DH + c0 + col) = make_float2(x0, x1);
        });
        if (slab == 0) {
            n_rows([&](int r, float nv) { nOut[sidx * DH + r] = nv; });
            if (tid == 0) {
                if (mOutD) mOutD[sidx] = mPrev;
                if (mOutF) mOutF[bh] = (float)mPrev;
                if (gOut) gOut[sidx] = gSum;
            }
        }
    }
}
}  // namespace slmf

// One kernel per head dim (the state's register array is sized at compile time); stateOnly = 1: the
// segment-local state only (no q, no h), written to Cout/nOut/mOutD/gOut; 0: h from the incoming state,
// and the final state when Cout is given (G = 1). The _bq builds take q and k in bf16 (B, L, NH, DH) and read
// the gates from mlstm_gate_prep's records (ig and fg unused); the fp32-input builds scan ig and fg themselves
// (gates unused, may be null).
#define SL_MLSTM_FUSED(NAME, MI, Q, QK)                                                                          \
    extern "C" {                                                                                                   \
    __constant__ int NAME##_smem = std::is_same<QK, float>::value ? slmf::smem_bytes(MI, Q) : slmf::smem_bytes_bq(MI, Q); \
    __constant__ int NAME##_chunk = Q;                                                                             \
    }                                                                                                              \
    extern "C" __global__ void __launch_bounds__(slmf::THREADS, 1) NAME(                                           \
        const QK* q, const QK* k, const float* v, const float* ig, const float* fg, const float* Cin,               \
        const float* nIn, const double* mInD, const float* mInF, float* h, float* Cout, float* nOut, double* mOutD, \
        float* mOutF, double* gOut, int L, int NH, int G, int SPC, float eps, int stateOnly,                       \
        const unsigned char* gates)                                                                                \
    {                                                                                                              \
        slmf::body<MI, Q, QK>(q, k, v, ig, fg, Cin, nIn, mInD, mInF, h, Cout, nOut, mOutD, mOutF, gOut, L, NH, G,  \
                              SPC, eps, stateOnly != 0, gates);                                                    \
    }

SL_MLSTM_FUSED(mlstm_fused_d128, 1, 64, float)
SL_MLSTM_FUSED(mlstm_fused_d256, 2, 64, float)
SL_MLSTM_FUSED(mlstm_fused_d384, 3, 32, float)
SL_MLSTM_FUSED(mlstm_fused_d512, 4, 32, float)
SL_MLSTM_FUSED(mlstm_fused_d128_bq, 1, 64, __nv_bfloat16)
SL_MLSTM_FUSED(mlstm_fused_d256_bq, 2, 64, __nv_bfloat16)
SL_MLSTM_FUSED(mlstm_fused_d384_bq, 3, 32, __nv_bfloat16)
SL_MLSTM_FUSED(mlstm_fused_d512_bq, 4, 32, __nv_bfloat16)
#undef SL_MLSTM_FUSED

// The gate records of the prefetching builds: per (b, head, chunk of Q tokens) gate_scan's b_s, running max of
// ĩ − b and ĩ, zero past the sequence's end (slmf::gate_bytes(Q) bytes, (B, NH, NCH) records). The slab blocks
// of a (b, head) read one record instead of each scanning the gates in fp64 at the start of every chunk.
// Grid (ceil(NCH / 4), NH, B), 128 threads: one warp per chunk.
extern "C" { __constant__ int mlstm_gate_bytes_per_token = slmf::GATE_BYTES_PER_TOKEN; }
extern "C" __global__ void __launch_bounds__(128) mlstm_gate_prep(const float* ig, const float* fg, unsigned char* gates,
                                                                   int L, int NH, int Q)
{
    const int nch = (L + Q - 1) / Q, c = blockIdx.x * 4 + threadIdx.x / 32;
    if (c >= nch) return;   // whole warps leave: gate_scan's shuffles see all 32 lanes
    const int hh = blockIdx.y, b = blockIdx.z, t0 = c * Q;
    const size_t g0 = ((size_t)b * L + t0) * NH + hh;
    double* rec = reinterpret_cast<double*>(gates + (((size_t)b * NH + hh) * nch + c) * slmf::gate_bytes(Q));
    slm16::gate_scan(ig, fg, g0, NH, min(Q, L - t0), Q, rec, rec + Q, reinterpret_cast<float*>(rec + 2 * Q));
}
