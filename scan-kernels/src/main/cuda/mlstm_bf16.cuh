// mLSTM chunkwise with carried state (C, n, m) on bf16 tensor cores (spec ops §10.3, convention D1:
// k̂ = k/√DH). Drop-in replacements for passes 1 and 3 of mlstm.cuh: same arguments, grids and buffer
// layouts, so pass 2 (mlstm_chunk_decay, mlstm_combine) runs unchanged between them.
//
// Glossary: B batch, L tokens, NH heads, DH head dim, Q chunk length, NCH = ceil(L/Q) chunks, qn the
// tokens of the current chunk (Q, or fewer in the last one), NS the column slab of the output pass
// (DH if DH <= 128, else 64 if DH % 64 == 0, 32 if DH % 32 == 0, else 16).
// Layouts (as mlstm.cuh): q, k, v, h (B, L, NH, DH); ig, fg (B, L, NH); Cl (B, NH, NCH, DH·DH) rows =
// key channel; nl (B, NH, NCH, DH); ml, gl, mIn (B, NH, NCH) fp64.
//
// Requirements: DH % 16 == 0 and Q % 16 == 0 (WMMA 16×16×16 tiles; a short last chunk is zero-padded
// to Q in shared memory, so any L >= 1 works). Chunk rule (CudaOps.mlstmBf16): the requested chunk
// rounded down to a multiple of 16 (at least 16), at most L rounded up to 16, halved (to a multiple of
// 16) while either pass needs more than the 200 KiB shared-memory cap.
//
// Precision. What is bf16 (round to nearest even, while staging into shared memory): q, k̂ weighted by
// its gate (exp(a_σ − m)/√DH, folded in before rounding, pass 1), v, the incoming C and n (pass 3), and
// the decay-weighted scores P = exp(logD − m_τ)·(q·k̂) before P·V. Every product runs on tensor cores
// with fp32 accumulation (K̂ᵀV, Q·K̂ᵀ, P·V, Q·C_in). What stays fp32: the states in memory (C, n and the
// per-chunk buffers: pass 2 is a long product chain over chunks, where bf16 states would compound), all
// accumulators, the denominators and the final division. What stays fp64: the log-domain gate sums and
// stabilizers, for the reason given in mlstm.cuh. The n parts (n = K̂ᵀ·1, row sums of P, q·n) are
// matrix-vector products, 1/DH of the work, where a tensor tile would waste 15 of 16 columns: they run
// on CUDA cores, but on the same bf16-rounded operands the tensor-core products see, so numerator and
// denominator are rounded alike.
//
// Gate scans: m_τ = max(b_τ + m⁻, max_{σ≤τ}(b_τ − b_σ + ĩ_σ)) = b_τ + max(m⁻, cummax_{σ≤τ}(ĩ_σ − b_σ)),
// so the prefix sums b and the running max are one warp scan each (fp64 shuffles) instead of the
// O(Q²) serial loops of the fp32 kernels.
//
// Dynamic shared memory (bytes; DP = DH + 8, NP = NS + 8, QP = Q + 8, SF = max(Q, NS) + 4; the pads
// spread WMMA fragment rows over the banks and keep every tile 32-byte aligned):
//   mlstm_chunk_state_bf16: 4·Q·DP + 24·Q + 16
//   mlstm_chunk_out_bf16:   2·Q·DP + 2·max(Q·DP, DH·NP) + 2·Q·NP + 2·Q·QP + 4·Q·SF + 28·Q
// (mlstmBf16StateSmem / mlstmBf16OutSmem in CudaOps implement the same formulas.) Both kernels: 256
// threads, grid (NCH, NH, B).
#pragma once
#include "common.cuh"
#include <mma.h>
#include <cuda_bf16.h>
#include "mlstm_gates.cuh"

namespace slm16 {
constexpr int WARPS = 8;

__device__ __forceinline__ int slab(int dh) { return dh <= 128 ? dh : dh % 64 == 0 ? 64 : dh % 32 == 0 ? 32 : 16; }

// Rows of fragments per warp job (each job is WM×2 fragments): 2 halves the shared-memory fragment
// loads per MMA, 1 doubles the job count. Take 1 when it finishes in fewer fragment-rounds of the
// 8 warps (few row tiles: small chunks, narrow slabs), else 2.
__device__ __forceinline__ int job_rows(int rowTiles, int colGroups)
{
    const int j2 = (rowTiles + 1) / 2 * colGroups, j1 = rowTiles * colGroups;
    return (j1 + WARPS - 1) / WARPS * 2 < (j2 + WARPS - 1) / WARPS * 4 ? 1 : 2;
}

// Pass 1's products: C = K̂ᵀ·V over kb key tiles, jobs of WM×2 fragments stored straight from the
// accumulators to global memory.
template <int WM>
__device__ __forceinline__ void state_jobs(const __nv_bfloat16* sk, const __nv_bfloat16* sv, float* C, int DP, int DH,
                                           int kb, int warp)
{
    using namespace nvcuda;
    const int nt = DH / 16, gr = (nt + WM - 1) / WM, gc = (nt + 1) / 2;
    for (int job = warp; job < gr * gc; job += WARPS) {
        const int r0 = (job / gc) * WM, c0 = (job % gc) * 2;
        const bool c1 = c0 + 1 < nt;
        bool rv[WM];
#pragma unroll
        for (int i = 0; i < WM; ++i) rv[i] = r0 + i < nt;
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[WM][2];
#pragma unroll
        for (int i = 0; i < WM; ++i)
#pragma unroll
            for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);
        for (int s = 0; s < kb; ++s) {
            // K̂ᵀ: element (key channel, token) sits at sk[token·DP + channel], a column-major A
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::col_major> fa[WM];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb[2];
#pragma unroll
            for (int i = 0; i < WM; ++i)
                if (rv[i]) wmma::load_matrix_sync(fa[i], sk + s * 16 * DP + (r0 + i) * 16, DP);
            wmma::load_matrix_sync(fb[0], sv + s * 16 * DP + c0 * 16, DP);
            if (c1) wmma::load_matrix_sync(fb[1], sv + s * 16 * DP + (c0 + 1) * 16, DP);
#pragma unroll
            for (int i = 0; i < WM; ++i) {
                if (!rv[i]) continue;
                wmma::mma_sync(acc[i][0], fa[i], fb[0], acc[i][0]);
                if (c1) wmma::mma_sync(acc[i][1], fa[i], fb[1], acc[i][1]);
            }
        }
#pragma unroll
        for (int i = 0; i < WM; ++i)
#pragma unroll
            for (int j = 0; j < 2; ++j)
                if (rv[i] && (j == 0 || c1))
                    wmma::store_matrix_sync(C + (size_t)(r0 + i) * 16 * DH + (c0 + j) * 16, acc[i][j], DH, wmma::mem_row_major);
    }
}

// Pass 3's products for one column slab: O = w ⊙ (Q·C_in[:, slab]) + P·V[:, slab] over the ntq row
// tiles holding tokens, in jobs of WM×2 fragments; h = O / den written for rows < qn.
template <int WM>
__device__ __forceinline__ void out_jobs(const __nv_bfloat16* sq, const __nv_bfloat16* sC, const __nv_bfloat16* sv,
                                         const __nv_bfloat16* sP, float* sO, const float* sw, const float* sden,
                                         float* h, size_t g0, int NH, int DH, int c0, int NS, int DP, int NP, int QP,
                                         int SF, int ntq, int qn, bool inter, int warp, int lane)
{
    using namespace nvcuda;
    const int ncs = NS / 16, gr = (ntq + WM - 1) / WM, gc = (ncs + 1) / 2;
    for (int job = warp; job < gr * gc; job += WARPS) {
        const int r0 = (job / gc) * WM, cc0 = (job % gc) * 2;
        const bool c1 = cc0 + 1 < ncs;
        bool rv[WM];
#pragma unroll
        for (int i = 0; i < WM; ++i) rv[i] = r0 + i < ntq;
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[WM][2];
#pragma unroll
        for (int i = 0; i < WM; ++i)
#pragma unroll
            for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);
        if (inter) {
            for (int kk = 0; kk < DH; kk += 16) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[WM];
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb[2];
#pragma unroll
                for (int i = 0; i < WM; ++i)
                    if (rv[i]) wmma::load_matrix_sync(fa[i], sq + (r0 + i) * 16 * DP + kk, DP);
                wmma::load_matrix_sync(fb[0], sC + kk * NP + cc0 * 16, NP);
                if (c1) wmma::load_matrix_sync(fb[1], sC + kk * NP + (cc0 + 1) * 16, NP);
#pragma unroll
                for (int i = 0; i < WM; ++i) {
                    if (!rv[i]) continue;
                    wmma::mma_sync(acc[i][0], fa[i], fb[0], acc[i][0]);
                    if (c1) wmma::mma_sync(acc[i][1], fa[i], fb[1], acc[i][1]);
                }
            }
            // row scale by w_τ through this warp's own O tiles
#pragma unroll
            for (int i = 0; i < WM; ++i)
#pragma unroll
                for (int j = 0; j < 2; ++j) {
                    if (!(rv[i] && (j == 0 || c1))) continue;
                    float* tile = sO + (r0 + i) * 16 * SF + (cc0 + j) * 16;
                    wmma::store_matrix_sync(tile, acc[i][j], SF, wmma::mem_row_major);
                    __syncwarp();
                    for (int e = lane; e < 256; e += 32) tile[(e >> 4) * SF + (e & 15)] *= sw[(r0 + i) * 16 + (e >> 4)];
                    __syncwarp();
                    wmma::load_matrix_sync(acc[i][j], tile, SF, wmma::mem_row_major);
                }
        }
        // P·V: P is zero above the diagonal, so row tile r needs key tiles 0..r only
        int kend = r0;
#pragma unroll
        for (int i = 1; i < WM; ++i) if (rv[i]) kend = r0 + i;
        for (int s = 0; s <= kend; ++s) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[WM];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb[2];
            bool av[WM];
#pragma unroll
            for (int i = 0; i < WM; ++i) {
                av[i] = rv[i] && s <= r0 + i;
                if (av[i]) wmma::load_matrix_sync(fa[i], sP + (r0 + i) * 16 * QP + s * 16, QP);
            }
            wmma::load_matrix_sync(fb[0], sv + s * 16 * NP + cc0 * 16, NP);
            if (c1) wmma::load_matrix_sync(fb[1], sv + s * 16 * NP + (cc0 + 1) * 16, NP);
#pragma unroll
            for (int i = 0; i < WM; ++i) {
                if (!av[i]) continue;
                wmma::mma_sync(acc[i][0], fa[i], fb[0], acc[i][0]);
                if (c1) wmma::mma_sync(acc[i][1], fa[i], fb[1], acc[i][1]);
            }
        }
#pragma unroll
        for (int i = 0; i < WM; ++i)
#pragma unroll
            for (int j = 0; j < 2; ++j) {
                if (!(rv[i] && (j == 0 || c1))) continue;
                float* tile = sO + (r0 + i) * 16 * SF + (cc0 + j) * 16;
                wmma::store_matrix_sync(tile, acc[i][j], SF, wmma::mem_row_major);
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
} // namespace slm16

// Pass 1 (bf16). Cl = K̂wᵀ·V per chunk from the zero state, K̂w[s] = k_s·exp(g − b_s + ĩ_s − m_loc)/√DH;
// nl = K̂wᵀ·1; ml = m_loc, gl = g. Each warp owns blocks of 1×2 or 2×2 fragments of Cl, stored straight
// from the accumulators to global memory (slm16::state_jobs).
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_state_bf16(
    const float* k, const float* v, const float* ig, const float* fg,
    float* Cl, float* nl, double* ml, double* gl, int L, int NH, int DH, int Q)
{
    using namespace nvcuda;
    SL_EXTERN_SHARED __align__(128) unsigned char smem_mlstm16[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    const int tid = threadIdx.x, warp = tid >> 5;
    const int DP = DH + 8;
    __nv_bfloat16* sk = reinterpret_cast<__nv_bfloat16*>(smem_mlstm16);  // (Q, DP) weighted k̂
    __nv_bfloat16* sv = sk + Q * DP;                                      // (Q, DP)
    double* sb = reinterpret_cast<double*>(sv + Q * DP);                  // (Q) b_s
    double* sc = sb + Q;                                                  // (Q) running max of ĩ − b
    double* sgm = sc + Q;                                                 // g, m_loc
    float* si = reinterpret_cast<float*>(sgm + 2);
    float* sw = si + Q;
    const size_t g0 = ((size_t)b * L + t0) * NH + hh;

    if (warp == 0) {
        slm16::gate_scan(ig, fg, g0, NH, qn, Q, sb, sc, si);
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
        slm16::st_bf16x4(sv + s * DP + d, x);
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
        slm16::st_bf16x4(sk + s * DP + d, x);
    }
    __syncthreads();

    const size_t cb = ((size_t)b * NH + hh) * nch + c;
    for (int i = tid; i < DH; i += blockDim.x) {
        float acc = 0.f;
        for (int s = 0; s < qn; ++s) acc += __bfloat162float(sk[s * DP + i]);
        nl[cb * DH + i] = acc;
    }
    if (tid == 0) { ml[cb] = mloc; gl[cb] = g; }

    const int nt = DH / 16, kb = (qn + 15) / 16;  // zero rows past qn add nothing
    float* C = Cl + cb * DH * DH;
    if (slm16::job_rows(nt, (nt + 1) / 2) == 1) slm16::state_jobs<1>(sk, sv, C, DP, DH, kb, warp);
    else slm16::state_jobs<2>(sk, sv, C, DP, DH, kb, warp);
}

// Pass 3 (bf16). Per chunk from its incoming state (Cin, nIn, mIn as pass 2 left them):
//   S = Q·K̂ᵀ (lower-triangular tiles) -> P = bf16(exp(b_τ − b_σ + ĩ_σ − m_τ)·S), den_τ = Σ_σ P + w_τ·q·n;
//   then per column slab of NS value channels: O = w ⊙ (Q·C_in[:, slab]) + P·V[:, slab], h = O / den.
// The slab keeps C_in's staging in shared memory at DH·NS (all of C does not fit at large DH); it
// reuses k's buffer, free once S is formed. The inter-chunk product is staged through shared memory
// to apply the per-row w_τ (a row scale cannot be applied to a WMMA accumulator in registers portably).
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_out_bf16(
    const float* q, const float* k, const float* v, const float* ig, const float* fg,
    const float* Cin, const float* nIn, const double* mIn, float* h, int L, int NH, int DH, int Q, float eps)
{
    using namespace nvcuda;
    SL_EXTERN_SHARED __align__(128) unsigned char smem_mlstm16[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int NS = slm16::slab(DH);
    const int DP = DH + 8, NP = NS + 8, QP = Q + 8, SF = max(Q, NS) + 4;
    __nv_bfloat16* sq = reinterpret_cast<__nv_bfloat16*>(smem_mlstm16);  // (Q, DP)
    __nv_bfloat16* sk = sq + Q * DP;                                      // (Q, DP) k, later C slab (DH, NP)
    __nv_bfloat16* sC = sk;
    __nv_bfloat16* sv = sk + max(Q * DP, DH * NP);                        // (Q, NP) v slab
    __nv_bfloat16* sP = sv + Q * NP;                                      // (Q, QP) weighted scores
    float* sS = reinterpret_cast<float*>(sP + Q * QP);                    // (Q, SF) raw scores, later O tiles
    double* sb = reinterpret_cast<double*>(sS + Q * SF);                  // (Q) b_τ
    double* smt = sb + Q;                                                 // (Q) m_τ
    float* si = reinterpret_cast<float*>(smt + Q);
    float* sw = si + Q;                                                   // w_τ
    float* sden = sw + Q;
    const size_t g0 = ((size_t)b * L + t0) * NH + hh;
    const size_t cb = ((size_t)b * NH + hh) * nch + c;
    const double mi = mIn[cb];
    const bool inter = !isinf(mi);   // a fresh incoming state (m = −∞) has weight 0 everywhere
    const float* Cc = Cin + cb * DH * DH;
    const float* nc = nIn + cb * DH;
    const float scale = rsqrtf((float)DH);

    if (warp == 0) {
        slm16::gate_scan(ig, fg, g0, NH, qn, Q, sb, smt, si);
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
        slm16::st_bf16x4(sq + s * DP + d, xq);
        slm16::st_bf16x4(sk + s * DP + d, xk);
    }
    __syncthreads();

    const int ntq = (qn + 15) / 16;   // row tiles holding real tokens
    {
        int job = 0;
        for (int r = 0; r < ntq; ++r)
            for (int cc = 0; cc <= r; ++cc, ++job) {
                if (job % slm16::WARPS != warp) continue;
                wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
                wmma::fill_fragment(acc, 0.f);
                for (int kk = 0; kk < DH; kk += 16) {
                    wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa;
                    wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> fb;  // K̂ᵀ
                    wmma::load_matrix_sync(fa, sq + r * 16 * DP + kk, DP);
                    wmma::load_matrix_sync(fb, sk + cc * 16 * DP + kk, DP);
                    wmma::mma_sync(acc, fa, fb, acc);
                }
                wmma::store_matrix_sync(sS + r * 16 * SF + cc * 16, acc, SF, wmma::mem_row_major);
            }
    }
    __syncthreads();

    // one warp per row: decay weights, bf16 P, denominator
    for (int t = warp; t < Q; t += slm16::WARPS) {
        float d = 0.f;
        const bool live = t < qn;
        const double bt = sb[t], mt = smt[t];
        for (int s = lane; s < Q; s += 32) {
            float val = 0.f;
            if (live && s <= t) val = __expf((float)(bt - sb[s] + si[s] - mt)) * sS[t * SF + s] * scale;
            const __nv_bfloat16 r = __float2bfloat16_rn(val);
            sP[t * QP + s] = r;
            d += __bfloat162float(r);
        }
        float qnv = 0.f;
        if (live && sw[t] != 0.f)
            for (int i = lane; i < DH; i += 32)
                qnv = fmaf(__bfloat162float(sq[t * DP + i]), __bfloat162float(__float2bfloat16_rn(nc[i])), qnv);
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            d += __shfl_xor_sync(0xffffffffu, d, o);
            qnv += __shfl_xor_sync(0xffffffffu, qnv, o);
        }
        if (lane == 0) sden[t] = live ? fmaxf(fabsf(fmaf(sw[t], qnv, d)), (float)exp(-mt)) + eps : 1.f;
    }
    __syncthreads();

    const int ns4 = NS / 4;
    const int wm = slm16::job_rows(ntq, (NS / 16 + 1) / 2);
    for (int c0 = 0; c0 < DH; c0 += NS) {
        if (inter)
            for (int i = tid; i < DH * ns4; i += blockDim.x) {
                const int r = i / ns4, d = (i - r * ns4) * 4;
                slm16::st_bf16x4(sC + r * NP + d, *reinterpret_cast<const float4*>(Cc + (size_t)r * DH + c0 + d));
            }
        for (int i = tid; i < Q * ns4; i += blockDim.x) {
            const int s = i / ns4, d = (i - s * ns4) * 4;
            float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
            if (s < qn) x = *reinterpret_cast<const float4*>(v + (g0 + (size_t)s * NH) * DH + c0 + d);
            slm16::st_bf16x4(sv + s * NP + d, x);
        }
        __syncthreads();
        if (wm == 1) slm16::out_jobs<1>(sq, sC, sv, sP, sS, sw, sden, h, g0, NH, DH, c0, NS, DP, NP, QP, SF, ntq, qn, inter, warp, lane);
        else slm16::out_jobs<2>(sq, sC, sv, sP, sS, sw, sden, h, g0, NH, DH, c0, NS, DP, NP, QP, SF, ntq, qn, inter, warp, lane);
        __syncthreads();
    }
}
