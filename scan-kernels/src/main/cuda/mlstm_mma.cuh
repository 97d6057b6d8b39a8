// mLSTM chunkwise with carried state (C, n, m) on tensor cores (spec ops §10.3, convention D1:
// k̂ = k/√DH), in two operand forms: bf16 (the bf16 mode) and 3xTF32 (fp32 accuracy, the fp32 mode).
// Drop-in replacements for passes 1 and 3 of mlstm.cuh: same arguments, grids and buffer layouts, so
// pass 2 (mlstm_chunk_decay, mlstm_combine) runs unchanged between them.
//
// Glossary: B batch, L tokens, NH heads, DH head dim, Q chunk length, NCH = ceil(L/Q) chunks, qn the
// tokens of the current chunk (Q, or fewer in the last one), NS the column slab of the output pass
// (DH if DH <= 128, else 64 if DH % 64 == 0, 32 if DH % 32 == 0, else 16), K the contraction depth of
// one WMMA product (16 bf16, 8 tf32), ES the bytes of one staged operand (2 bf16, 4 fp32), PAD the
// row pad of staged operands (8 bf16 elements, 4 fp32: 16 bytes either way).
// Layouts (as mlstm.cuh): q, k, v, h (B, L, NH, DH); ig, fg (B, L, NH); Cl (B, NH, NCH, DH·DH) rows =
// key channel; nl (B, NH, NCH, DH); ml, gl, mIn (B, NH, NCH) fp64.
//
// Requirements: DH % 16 == 0 and Q % 16 == 0 (16-row tiles; a short last chunk is zero-padded to Q in
// shared memory, so any L >= 1 works). Chunk rule (CudaOps.MmaOperands.chunk): the requested chunk rounded
// down to a multiple of 16 (at least 16), at most L rounded up to 16, less 16 at a time while either pass
// needs more than the 227 KiB an sm_90 block can opt into.
//
// Precision, bf16 form. What is bf16 (round to nearest even, while staging into shared memory): q, k̂
// weighted by its gate (exp(a_σ − m)/√DH, folded in before rounding, pass 1), v, the incoming C and n
// (pass 3), and the decay-weighted scores P = exp(logD − m_τ)·(q·k̂) before P·V. Every product runs on
// tensor cores with fp32 accumulation (K̂ᵀV, Q·K̂ᵀ, P·V, Q·C_in). The n parts (n = K̂ᵀ·1, row sums of
// P, q·n) are matrix-vector products, 1/DH of the work, where a tensor tile would waste 15 of 16
// columns: they run on CUDA cores, but on the same bf16-rounded operands the tensor-core products see,
// so numerator and denominator are rounded alike.
// Precision, 3xTF32 form. Operands stay fp32 in shared memory; each fragment is split once after its
// load into hi = tf32(x) and lo = tf32(x − hi), and a product is lo·hi + hi·lo + hi·hi (tf32.cuh): the
// dropped lo·lo term and lo's rounding cost at most about 2^-22 of each term each; partial sums leave the
// tensor core's accumulator every few k steps (Tf32x3Ops). Everything else (P, the n parts) is plain fp32.
// Both forms: the states in memory (C, n and the per-chunk buffers: pass 2 is a long product chain over
// chunks) and all accumulators, denominators and the final division are fp32; the log-domain gate sums
// and stabilizers fp64, for the reason given in mlstm.cuh.
//
// Gate scans: m_τ = max(b_τ + m⁻, max_{σ≤τ}(b_τ − b_σ + ĩ_σ)) = b_τ + max(m⁻, cummax_{σ≤τ}(ĩ_σ − b_σ)),
// so the prefix sums b and the running max are one warp scan each (fp64 shuffles) instead of the
// O(Q²) serial loops of the fp32 kernels.
//
// Dynamic shared memory (bytes; DP = DH + PAD, NP = NS + PAD, QP = Q + PAD, SF = max(Q, NS) + 4; the
// pads spread fragment rows over the banks and keep every tile 32-byte aligned):
//   pass 1: 2·ES·Q·DP + 24·Q + 16
//   pass 3: ES·(Q·DP + max(Q·DP, DH·NP) + Q·NP + Q·QP) + 4·Q·SF + 28·Q
// (mlstmMmaStateSmem / mlstmMmaOutSmem in CudaOps implement the same formulas.) Both passes: 256
// threads, grid (NCH, NH, B). Kernels: mlstm_chunk_state_bf16 / mlstm_chunk_out_bf16 and
// mlstm_chunk_state_tf32 / mlstm_chunk_out_tf32.
#pragma once
#include "common.cuh"
#include <mma.h>
#include <type_traits>
#include <cuda_bf16.h>
#include "mlstm_gates.cuh"
#include "tf32.cuh"

namespace slm16 {
constexpr int WARPS = 8;

// bf16 operands: one WMMA 16 × 16 × 16 product per tile step.
struct Bf16Ops {
    using T = __nv_bfloat16;
    static constexpr int K = 16, PAD = 8;
    using Acc = nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 16, float>;
    struct Accum {
        Acc f;
        __device__ __forceinline__ void zero() { nvcuda::wmma::fill_fragment(f, 0.f); }
        __device__ __forceinline__ Acc& sum() { return f; }
    };
    template <class Use, class Lay>
    struct Operand {
        nvcuda::wmma::fragment<Use, 16, 16, 16, __nv_bfloat16, Lay> f;
        __device__ __forceinline__ void load(const T* p, unsigned ld) { nvcuda::wmma::load_matrix_sync(f, p, ld); }
    };
    template <class LA, class LB>
    static __device__ __forceinline__ void mma(Accum& acc, const Operand<nvcuda::wmma::matrix_a, LA>& a,
                                               const Operand<nvcuda::wmma::matrix_b, LB>& b)
    {
        nvcuda::wmma::mma_sync(acc.f, a.f, b.f, acc.f);
    }
    static __device__ __forceinline__ T put(float x) { return __float2bfloat16_rn(x); }
    static __device__ __forceinline__ float get(T x) { return __bfloat162float(x); }
    static __device__ __forceinline__ void put4(T* p, float4 x) { st_bf16x4(p, x); }
};

// fp32 operands, 3xTF32: each fragment split once after its load, three WMMA 16 × 16 × 8 products per step.
// Accumulation: the tensor core truncates when it adds into its accumulator, so a long chain of k steps
// into one accumulator drifts toward zero by about 2^-23 of the running sum per product. The products go
// into a short chain (`run`, FLUSH k steps) that is added into an fp32 total with rounded adds and
// restarted from zero. On an H100 one chain over the whole contraction measured 1.0-1.3e-5 of max|h|
// against 1.4-6.7e-6 for the CUDA-core kernels on the same inputs (self-check, DH 16-384), over the 1e-5
// op tolerance of spec ops §2.
struct Tf32x3Ops {
    using T = float;
    static constexpr int K = 8, PAD = 4, FLUSH = 2;
    using Acc = nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 8, float>;
    struct Accum {
        Acc total, run;
        int steps;
        __device__ __forceinline__ void zero()
        {
            nvcuda::wmma::fill_fragment(total, 0.f);
            nvcuda::wmma::fill_fragment(run, 0.f);
            steps = 0;
        }
        __device__ __forceinline__ void flush()
        {
#pragma unroll
            for (int i = 0; i < total.num_elements; ++i) total.x[i] += run.x[i];
            nvcuda::wmma::fill_fragment(run, 0.f);
            steps = 0;
        }
        // everything accumulated so far, in total (the chain restarts from zero)
        __device__ __forceinline__ Acc& sum()
        {
            flush();
            return total;
        }
    };
    // hi = tf32(x), lo = tf32(x − hi), both rounded to nearest, so the tensor core reads lo exactly instead of
    // truncating it (a one-sided error of up to 2^-21·|x| per operand)
    template <class Use, class Lay>
    struct Operand {
        nvcuda::wmma::fragment<Use, 16, 16, 8, nvcuda::wmma::precision::tf32, Lay> hi, lo;
        __device__ __forceinline__ void load(const T* p, unsigned ld)
        {
            nvcuda::wmma::load_matrix_sync(hi, p, ld);
#pragma unroll
            for (int i = 0; i < hi.num_elements; ++i) {
                const float v = hi.x[i], h = __uint_as_float(sltf::tf32(v));
                hi.x[i] = h;
                lo.x[i] = __uint_as_float(sltf::tf32(v - h));
            }
        }
    };
    template <class LA, class LB>
    static __device__ __forceinline__ void mma(Accum& acc, const Operand<nvcuda::wmma::matrix_a, LA>& a,
                                               const Operand<nvcuda::wmma::matrix_b, LB>& b)
    {
        nvcuda::wmma::mma_sync(acc.run, a.lo, b.hi, acc.run);   // small terms first
        nvcuda::wmma::mma_sync(acc.run, a.hi, b.lo, acc.run);
        nvcuda::wmma::mma_sync(acc.run, a.hi, b.hi, acc.run);
        if (++acc.steps == FLUSH) acc.flush();
    }
    static __device__ __forceinline__ T put(float x) { return x; }
    static __device__ __forceinline__ float get(T x) { return x; }
    static __device__ __forceinline__ void put4(T* p, float4 x) { *reinterpret_cast<float4*>(p) = x; }
};

__device__ __forceinline__ int slab(int dh) { return dh <= 128 ? dh : dh % 64 == 0 ? 64 : dh % 32 == 0 ? 32 : 16; }

// Rows of fragments per warp job (each job is WM×2 fragments): 2 halves the shared-memory fragment
// loads per MMA, 1 doubles the job count. Take 1 when it finishes in fewer fragment-rounds of the
// 8 warps (few row tiles: small chunks, narrow slabs), else 2.
__device__ __forceinline__ int job_rows(int rowTiles, int colGroups)
{
    const int j2 = (rowTiles + 1) / 2 * colGroups, j1 = rowTiles * colGroups;
    return (j1 + WARPS - 1) / WARPS * 2 < (j2 + WARPS - 1) / WARPS * 4 ? 1 : 2;
}

// acc[i][j] += A[row tile r0 + i, k] · B[k, column tile c0 + j] for k in [0, kEnd), O::K at a time, for the
// row tiles below rowTiles (and, causal, only while k < (r0 + i + 1)·16: P is zero above its diagonal) and column
// tile c0 + 1 only with c1. A is row-major (element (r, k) at a[r·lda + k]) or, LA = col_major, stored
// transposed (at a[k·lda + r]); B is row-major with leading dimension ldb.
template <class O, int WM, class LA>
__device__ __forceinline__ void tile_products(typename O::Accum (&acc)[WM][2], const typename O::T* a, int lda,
                                              const typename O::T* b, int ldb, int r0, int c0, bool c1,
                                              int rowTiles, int kEnd, bool causal)
{
    using namespace nvcuda;
    constexpr bool colA = std::is_same<LA, wmma::col_major>::value;
    for (int k = 0; k < kEnd; k += O::K) {
        typename O::template Operand<wmma::matrix_a, LA> fa[WM];
        typename O::template Operand<wmma::matrix_b, wmma::row_major> fb[2];
        bool av[WM];
#pragma unroll
        for (int i = 0; i < WM; ++i) {
            av[i] = r0 + i < rowTiles && (!causal || k < (r0 + i + 1) * 16);
            if (av[i]) fa[i].load(colA ? a + k * lda + (r0 + i) * 16 : a + (r0 + i) * 16 * lda + k, lda);
        }
        fb[0].load(b + k * ldb + c0 * 16, ldb);
        if (c1) fb[1].load(b + k * ldb + (c0 + 1) * 16, ldb);
#pragma unroll
        for (int i = 0; i < WM; ++i) {
            if (!av[i]) continue;
            O::mma(acc[i][0], fa[i], fb[0]);
            if (c1) O::mma(acc[i][1], fa[i], fb[1]);
        }
    }
}

// One warp's job in the product loops below: WM×2 fragments from row tile r0 and column tile c0 (the second
// column only where c1, each row only where rv), in accumulators that start at zero. gc: column pairs per row.
template <class O, int WM>
struct TileJob {
    int r0, c0;
    bool c1, rv[WM];
    typename O::Accum acc[WM][2];
    __device__ __forceinline__ TileJob(int job, int gc, int rows, int cols)
        : r0((job / gc) * WM), c0((job % gc) * 2), c1(c0 + 1 < cols)
    {
#pragma unroll
        for (int i = 0; i < WM; ++i) {
            rv[i] = r0 + i < rows;
#pragma unroll
            for (int j = 0; j < 2; ++j) acc[i][j].zero();
        }
    }
    // whether fragment (i, j) lies inside the matrix
    __device__ __forceinline__ bool has(int i, int j) const { return rv[i] && (j == 0 || c1); }
};

// Pass 1's products: C = K̂ᵀ·V over kb key tiles, jobs of WM×2 fragments stored straight from the
// accumulators to global memory.
template <class O, int WM>
__device__ __forceinline__ void state_jobs(const typename O::T* sk, const typename O::T* sv, float* C, int DP, int DH,
                                           int kb, int warp)
{
    using namespace nvcuda;
    const int nt = DH / 16, gr = (nt + WM - 1) / WM, gc = (nt + 1) / 2;
    for (int job = warp; job < gr * gc; job += WARPS) {
        TileJob<O, WM> tj(job, gc, nt, nt);
        // K̂ᵀ: element (key channel, token) sits at sk[token·DP + channel], a column-major A
        tile_products<O, WM, wmma::col_major>(tj.acc, sk, DP, sv, DP, tj.r0, tj.c0, tj.c1, nt, kb * 16, false);
#pragma unroll
        for (int i = 0; i < WM; ++i)
#pragma unroll
            for (int j = 0; j < 2; ++j)
                if (tj.has(i, j))
                    wmma::store_matrix_sync(C + (size_t)(tj.r0 + i) * 16 * DH + (tj.c0 + j) * 16, tj.acc[i][j].sum(), DH, wmma::mem_row_major);
    }
}

// Pass 3's products for one column slab: O = w ⊙ (Q·C_in[:, slab]) + P·V[:, slab] over the ntq row
// tiles holding tokens, in jobs of WM×2 fragments; h = O / den written for rows < qn.
template <class O, int WM>
__device__ __forceinline__ void out_jobs(const typename O::T* sq, const typename O::T* sC, const typename O::T* sv,
                                         const typename O::T* sP, float* sO, const float* sw, const float* sden,
                                         float* h, size_t g0, int NH, int DH, int c0, int NS, int DP, int NP, int QP,
                                         int SF, int ntq, int qn, bool inter, int warp, int lane)
{
    using namespace nvcuda;
    const int ncs = NS / 16, gr = (ntq + WM - 1) / WM, gc = (ncs + 1) / 2;
    for (int job = warp; job < gr * gc; job += WARPS) {
        TileJob<O, WM> tj(job, gc, ntq, ncs);
        const int r0 = tj.r0, cc0 = tj.c0;
        if (inter) {
            tile_products<O, WM, wmma::row_major>(tj.acc, sq, DP, sC, NP, r0, cc0, tj.c1, ntq, DH, false);
            // row scale by w_τ through this warp's own O tiles
#pragma unroll
            for (int i = 0; i < WM; ++i)
#pragma unroll
                for (int j = 0; j < 2; ++j) {
                    if (!tj.has(i, j)) continue;
                    float* tile = sO + (r0 + i) * 16 * SF + (cc0 + j) * 16;
                    typename O::Acc& a = tj.acc[i][j].sum();
                    wmma::store_matrix_sync(tile, a, SF, wmma::mem_row_major);
                    __syncwarp();
                    for (int e = lane; e < 256; e += 32) tile[(e >> 4) * SF + (e & 15)] *= sw[(r0 + i) * 16 + (e >> 4)];
                    __syncwarp();
                    wmma::load_matrix_sync(a, tile, SF, wmma::mem_row_major);
                }
        }
        // P·V: P is zero above the diagonal, so row tile r needs key tiles 0..r only
        int kend = r0;
#pragma unroll
        for (int i = 1; i < WM; ++i) if (tj.rv[i]) kend = r0 + i;
        tile_products<O, WM, wmma::row_major>(tj.acc, sP, QP, sv, NP, r0, cc0, tj.c1, ntq, (kend + 1) * 16, true);
#pragma unroll
        for (int i = 0; i < WM; ++i)
#pragma unroll
            for (int j = 0; j < 2; ++j) {
                if (!tj.has(i, j)) continue;
                float* tile = sO + (r0 + i) * 16 * SF + (cc0 + j) * 16;
                wmma::store_matrix_sync(tile, tj.acc[i][j].sum(), SF, wmma::mem_row_major);
                __syncwarp();
                for (int e = lane; e < 256; e += 32) {
                    const int t = (r0 + i) * 16 + (e >> 4);
                    if (t < qn)
                        h[(g0 + (size_t)t * NH) * DH + c0 + (cc0 + j) * 16 + (e & 15)] = tile[(e >> 4) * SF + (e & 15)] / sden[t];
                }
                __syncwarp();
            }
    }
}

// Pass 1. Cl = K̂wᵀ·V per chunk from the zero state, K̂w[s] = k_s·exp(g − b_s + ĩ_s − m_loc)/√DH;
// nl = K̂wᵀ·1; ml = m_loc, gl = g. Each warp owns blocks of 1×2 or 2×2 fragments of Cl, stored straight
// from the accumulators to global memory (state_jobs).
template <class O>
__device__ __forceinline__ void chunk_state(const float* k, const float* v, const float* ig, const float* fg,
                                            float* Cl, float* nl, double* ml, double* gl, int L, int NH, int DH, int Q)
{
    using T = typename O::T;
    SL_EXTERN_SHARED __align__(128) unsigned char smem_mlstm16[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    const int tid = threadIdx.x, warp = tid >> 5;
    const int DP = DH + O::PAD;
    T* sk = reinterpret_cast<T*>(smem_mlstm16);                   // (Q, DP) weighted k̂
    T* sv = sk + Q * DP;                                          // (Q, DP)
    double* sb = reinterpret_cast<double*>(sv + Q * DP);          // (Q) b_s
    double* sc = sb + Q;                                          // (Q) running max of ĩ − b
    double* sgm = sc + Q;                                         // g, m_loc
    float* si = reinterpret_cast<float*>(sgm + 2);
    float* sw = si + Q;
    const size_t g0 = ((size_t)b * L + t0) * NH + hh;

    if (warp == 0) {
        gate_scan(ig, fg, g0, NH, qn, Q, sb, sc, si);
        __syncwarp();
        if (tid == 0) {
            const double g = sb[qn - 1];
            sgm[0] = g;
            sgm[1] = g + sc[qn - 1];
        }
    }
    const int n4 = DH / 4;
    for (int i = tid; i < Q * n4; i += blockDim.x) {
        const int s = i / n4, d = (i - s * n4) * 4;
        float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
        if (s < qn) x = *reinterpret_cast<const float4*>(v + (g0 + (size_t)s * NH) * DH + d);
        O::put4(sv + s * DP + d, x);
    }
    __syncthreads();
    const double g = sgm[0], mloc = sgm[1];
    const float scale = rsqrtf((float)DH);
    for (int s = tid; s < Q; s += blockDim.x)
        sw[s] = s < qn ? __expf((float)(g - sb[s] + si[s] - mloc)) * scale : 0.f;
    __syncthreads();
    for (int i = tid; i < Q * n4; i += blockDim.x) {
        const int s = i / n4, d = (i - s * n4) * 4;
        float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
        if (s < qn) {
            x = *reinterpret_cast<const float4*>(k + (g0 + (size_t)s * NH) * DH + d);
            const float w = sw[s];
            x.x *= w; x.y *= w; x.z *= w; x.w *= w;
        }
        O::put4(sk + s * DP + d, x);
    }
    __syncthreads();

    const size_t cb = ((size_t)b * NH + hh) * nch + c;
    for (int i = tid; i < DH; i += blockDim.x) {
        float acc = 0.f;
        for (int s = 0; s < qn; ++s) acc += O::get(sk[s * DP + i]);
        nl[cb * DH + i] = acc;
    }
    if (tid == 0) { ml[cb] = mloc; gl[cb] = g; }

    const int nt = DH / 16, kb = (qn + 15) / 16;  // zero rows past qn add nothing
    float* C = Cl + cb * DH * DH;
    if (job_rows(nt, (nt + 1) / 2) == 1) state_jobs<O, 1>(sk, sv, C, DP, DH, kb, warp);
    else state_jobs<O, 2>(sk, sv, C, DP, DH, kb, warp);
}

// Pass 3. Per chunk from its incoming state (Cin, nIn, mIn as pass 2 left them):
//   S = Q·K̂ᵀ (lower-triangular tiles) -> P = exp(b_τ − b_σ + ĩ_σ − m_τ)·S (staged as an operand),
//   den_τ = Σ_σ P + w_τ·q·n; then per column slab of NS value channels: O = w ⊙ (Q·C_in[:, slab]) +
//   P·V[:, slab], h = O / den.
// The slab keeps C_in's staging in shared memory at DH·NS (all of C does not fit at large DH); it
// reuses k's buffer, free once S is formed. The inter-chunk product is staged through shared memory
// to apply the per-row w_τ (a row scale cannot be applied to a WMMA accumulator in registers portably).
template <class O>
__device__ __forceinline__ void chunk_out(const float* q, const float* k, const float* v, const float* ig, const float* fg,
                                          const float* Cin, const float* nIn, const double* mIn, float* h, int L, int NH,
                                          int DH, int Q, float eps)
{
    using namespace nvcuda;
    using T = typename O::T;
    SL_EXTERN_SHARED __align__(128) unsigned char smem_mlstm16[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int NS = slab(DH);
    const int DP = DH + O::PAD, NP = NS + O::PAD, QP = Q + O::PAD, SF = max(Q, NS) + 4;
    T* sq = reinterpret_cast<T*>(smem_mlstm16);                   // (Q, DP)
    T* sk = sq + Q * DP;                                          // (Q, DP) k, later C slab (DH, NP)
    T* sC = sk;
    T* sv = sk + max(Q * DP, DH * NP);                            // (Q, NP) v slab
    T* sP = sv + Q * NP;                                          // (Q, QP) weighted scores
    float* sS = reinterpret_cast<float*>(sP + Q * QP);            // (Q, SF) raw scores, later O tiles
    double* sb = reinterpret_cast<double*>(sS + Q * SF);          // (Q) b_τ
    double* smt = sb + Q;                                         // (Q) m_τ
    float* si = reinterpret_cast<float*>(smt + Q);
    float* sw = si + Q;                                           // w_τ
    float* sden = sw + Q;
    const size_t g0 = ((size_t)b * L + t0) * NH + hh;
    const size_t cb = ((size_t)b * NH + hh) * nch + c;
    const double mi = mIn[cb];
    const bool inter = !isinf(mi);   // a fresh incoming state (m = −∞) has weight 0 everywhere
    const float* Cc = Cin + cb * DH * DH;
    const float* nc = nIn + cb * DH;
    const float scale = rsqrtf((float)DH);

    if (warp == 0) {
        gate_scan(ig, fg, g0, NH, qn, Q, sb, smt, si);
        __syncwarp();
        for (int t = lane; t < Q; t += 32) {
            if (t < qn) {
                const double mt = sb[t] + fmax(mi, smt[t]);
                smt[t] = mt;
                sw[t] = inter ? __expf((float)(sb[t] + mi - mt)) : 0.f;
            } else {
                smt[t] = 0.0;
                sw[t] = 0.f;
            }
        }
    }
    const int n4 = DH / 4;
    for (int i = tid; i < Q * n4; i += blockDim.x) {
        const int s = i / n4, d = (i - s * n4) * 4;
        float4 xq = make_float4(0.f, 0.f, 0.f, 0.f), xk = xq;
        if (s < qn) {
            const size_t gi = (g0 + (size_t)s * NH) * DH + d;
            xq = *reinterpret_cast<const float4*>(q + gi);
            xk = *reinterpret_cast<const float4*>(k + gi);
        }
        O::put4(sq + s * DP + d, xq);
        O::put4(sk + s * DP + d, xk);
    }
    __syncthreads();

    const int ntq = (qn + 15) / 16;   // row tiles holding real tokens
    {
        int job = 0;
        for (int r = 0; r < ntq; ++r)
            for (int cc = 0; cc <= r; ++cc, ++job) {
                if (job % WARPS != warp) continue;
                typename O::Accum acc;
                acc.zero();
                for (int kk = 0; kk < DH; kk += O::K) {
                    typename O::template Operand<wmma::matrix_a, wmma::row_major> fa;
                    typename O::template Operand<wmma::matrix_b, wmma::col_major> fb;  // K̂ᵀ
                    fa.load(sq + r * 16 * DP + kk, DP);
                    fb.load(sk + cc * 16 * DP + kk, DP);
                    O::mma(acc, fa, fb);
                }
                wmma::store_matrix_sync(sS + r * 16 * SF + cc * 16, acc.sum(), SF, wmma::mem_row_major);
            }
    }
    __syncthreads();

    // one warp per row: decay weights, P as an operand, denominator
    for (int t = warp; t < Q; t += WARPS) {
        float d = 0.f;
        const bool live = t < qn;
        const double bt = sb[t], mt = smt[t];
        for (int s = lane; s < Q; s += 32) {
            float val = 0.f;
            if (live && s <= t) val = __expf((float)(bt - sb[s] + si[s] - mt)) * sS[t * SF + s] * scale;
            const T r = O::put(val);
            sP[t * QP + s] = r;
            d += O::get(r);
        }
        float qnv = 0.f;
        if (live && sw[t] != 0.f)
            for (int i = lane; i < DH; i += 32)
                qnv = fmaf(O::get(sq[t * DP + i]), O::get(O::put(nc[i])), qnv);
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            d += __shfl_xor_sync(0xffffffffu, d, o);
            qnv += __shfl_xor_sync(0xffffffffu, qnv, o);
        }
        if (lane == 0) sden[t] = live ? fmaxf(fabsf(fmaf(sw[t], qnv, d)), (float)exp(-mt)) + eps : 1.f;
    }
    __syncthreads();

    const int ns4 = NS / 4;
    const int wm = job_rows(ntq, (NS / 16 + 1) / 2);
    for (int c0 = 0; c0 < DH; c0 += NS) {
        if (inter)
            for (int i = tid; i < DH * ns4; i += blockDim.x) {
                const int r = i / ns4, d = (i - r * ns4) * 4;
                O::put4(sC + r * NP + d, *reinterpret_cast<const float4*>(Cc + (size_t)r * DH + c0 + d));
            }
        for (int i = tid; i < Q * ns4; i += blockDim.x) {
            const int s = i / ns4, d = (i - s * ns4) * 4;
            float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
            if (s < qn) x = *reinterpret_cast<const float4*>(v + (g0 + (size_t)s * NH) * DH + c0 + d);
            O::put4(sv + s * NP + d, x);
        }
        __syncthreads();
        if (wm == 1) out_jobs<O, 1>(sq, sC, sv, sP, sS, sw, sden, h, g0, NH, DH, c0, NS, DP, NP, QP, SF, ntq, qn, inter, warp, lane);
        else out_jobs<O, 2>(sq, sC, sv, sP, sS, sw, sden, h, g0, NH, DH, c0, NS, DP, NP, QP, SF, ntq, qn, inter, warp, lane);
        __syncthreads();
    }
}
} // namespace slm16

#define SL_MLSTM_MMA_STATE_ARGS const float* k, const float* v, const float* ig, const float* fg, float* Cl, float* nl, \
    double* ml, double* gl, int L, int NH, int DH, int Q
#define SL_MLSTM_MMA_OUT_ARGS const float* q, const float* k, const float* v, const float* ig, const float* fg, \
    const float* Cin, const float* nIn, const double* mIn, float* h, int L, int NH, int DH, int Q, float eps

extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_state_bf16(SL_MLSTM_MMA_STATE_ARGS)
{
    slm16::chunk_state<slm16::Bf16Ops>(k, v, ig, fg, Cl, nl, ml, gl, L, NH, DH, Q);
}
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_out_bf16(SL_MLSTM_MMA_OUT_ARGS)
{
    slm16::chunk_out<slm16::Bf16Ops>(q, k, v, ig, fg, Cin, nIn, mIn, h, L, NH, DH, Q, eps);
}
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_state_tf32(SL_MLSTM_MMA_STATE_ARGS)
{
    slm16::chunk_state<slm16::Tf32x3Ops>(k, v, ig, fg, Cl, nl, ml, gl, L, NH, DH, Q);
}
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_out_tf32(SL_MLSTM_MMA_OUT_ARGS)
{
    slm16::chunk_out<slm16::Tf32x3Ops>(q, k, v, ig, fg, Cin, nIn, mIn, h, L, NH, DH, Q, eps);
}
