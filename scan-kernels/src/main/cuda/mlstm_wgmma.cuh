// mLSTM chunkwise with the state on chip on wgmma (sm_90a): the contract, the math and the precision of the fused
// kernel's _bq builds (mlstm_fused.cuh: q and k in bf16, gate records from mlstm_gate_prep, fp32 v in, fp32 h out,
// the same launches for one walk and for segments), with every product issued by warpgroups instead of warps.
//
// Glossary: DH head dim (256 or 512), NS = 64 value channels per block (the slab), Q = 64 chunk length, NW = DH/2
// key channels per warpgroup, NP = DH/64 panels (64 key channels each), qn tokens in this chunk.
// Block: (b, head, slab, segment) as the fused kernel, 256 threads = 2 warpgroups. Warpgroup w holds Cᵀ's key
// channels [w·NW, (w+1)·NW) of the slab (NS × NW fp32, the wgmma accumulator of m64nNW: NW/2 registers a thread).
//
// Per chunk (math as mlstm_fused.cuh):
//   Oᵀ_inter = C⁻ᵀ·Qᵀ      A = bf16(C⁻ᵀ) from the accumulators (registers), B = q panels (K-major)   per warpgroup its
//   S = Q·[K; n⁻]ᵀ         A = q panels, B = k panels with n⁻ as row Q (column Q of S is q·n⁻)       key half; the two
//                                                                                                    halves summed
//                                                                                                    through shared memory
//   Oᵀ += Vᵀ·Pᵀ            A = Vᵀ (ldmatrix), B = P (K-major)    warpgroup w: tokens [32w, 32w + 32)
//   Cᵀ = fdec·Cᵀ + (u⊙V)ᵀ·K  A = (u⊙V)ᵀ (ldmatrix), B = k panels read MN-major (transposed by the descriptor)
//   n = fdec·n + Kᵀu        fp32 on CUDA cores (bf16 k, fp32 u), while the state update runs
// Shared memory: q and k as NP panels of 128-byte rows in the 128-byte-swizzled layout (16-byte chunk c of row r at
// c ^ (r % 8)), which wgmma reads both K-major and MN-major; P the same; Vᵀ and (u⊙V)ᵀ padded rows for ldmatrix.
// The chunk's inputs are copied by cp.async at its start (no copy ahead yet).
#pragma once
#include "common.cuh"
#include <cuda_bf16.h>
#include "mma_frag.cuh"
#include "cp_async.cuh"
#include "wgmma_bf16.cuh"
#include "mlstm_fused.cuh"   // slmf::gate_bytes and mlstm_gate_prep's records

namespace slwm {
constexpr int Q = 64, NS = 64, THREADS = 256, LDT = Q + 8, XLD = 36;
constexpr int PANEL_Q = Q * 128, PANEL_K = (Q + 8) * 128;   // bytes; k's panels carry n⁻ in row Q, zeros after

template <int DH>
struct Smem {
    static constexpr int NP = DH / 64;
    static constexpr int Q_OFF = 0;                           // NP × (Q, 64) bf16 q, swizzled
    static constexpr int K_OFF = Q_OFF + NP * PANEL_Q;        // NP × (Q + 8, 64) bf16 k, row Q = bf16(n⁻)
    static constexpr int P_OFF = K_OFF + NP * PANEL_K;        // (Q, 64) bf16 P, swizzled
    static constexpr int VT_OFF = P_OFF + Q * 128;            // (NS, LDT) bf16 Vᵀ
    static constexpr int UT_OFF = VT_OFF + NS * LDT * 2;      // (NS, LDT) bf16 (u ⊙ V)ᵀ
    static constexpr int VF_OFF = UT_OFF + NS * LDT * 2;      // (Q, NS) fp32 v slab as copied
    static constexpr int XS_OFF = VF_OFF + Q * NS * 4;        // (2, Q, XLD) fp32 S halves for the other warpgroup
    static constexpr int XO_OFF = XS_OFF + 2 * Q * XLD * 4;   // (2, NS, XLD) fp32 Oᵀ halves for the other warpgroup
    static constexpr int G_OFF = XO_OFF + 2 * NS * XLD * 4;   // gate record: b (Q) fp64, running max a (Q) fp64, ĩ (Q) fp32
    static constexpr int N_OFF = G_OFF + slmf::GATE_BYTES_PER_TOKEN * Q;   // (DH) fp32 n
    static constexpr int MISC_OFF = N_OFF + 4 * DH;           // u (Q), q·n⁻ (Q), row sums of P (2, Q) fp32
    static constexpr int BYTES = MISC_OFF + 4 * 4 * Q;
};

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wg_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" :: "n"(N) : "memory"); }
__device__ __forceinline__ void proxy_fence() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// 128-byte-swizzle descriptors: K-major (8-row groups 1024 bytes apart, the K offset on the start address) and
// MN-major (64-element atoms along MN lbo bytes apart, 8-row groups along K sbo bytes apart)
__device__ __forceinline__ uint64_t desc_k(const void* p)
{
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
    return (uint64_t)((a & 0x3FFFF) >> 4) | (uint64_t)1 << 16 | (uint64_t)(1024 >> 4) << 32 | (uint64_t)1 << 62;
}
__device__ __forceinline__ uint64_t desc_mn(const void* p, int lbo, int sbo)
{
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
    return (uint64_t)((a & 0x3FFFF) >> 4) | (uint64_t)(lbo >> 4) << 16 | (uint64_t)(sbo >> 4) << 32 | (uint64_t)1 << 62;
}
// byte offset of bf16 element (row r, column c) in a swizzled panel of 128-byte rows
__device__ __forceinline__ int swz(int r, int c) { return r * 128 + ((((c >> 3) ^ r) & 7) << 4) + (c & 7) * 2; }

// SWAP_MN: the MN-major descriptor with lbo and sbo exchanged (the harness's wgmma checks say which form this GPU reads)
template <int DH, bool SWAP_MN, bool stateOnly>
__device__ __forceinline__ void body(const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ k,
                                     const float* __restrict__ v, const float* Cin, const float* nIn, const double* mInD,
                                     const float* mInF, float* h, float* Cout, float* nOut, double* mOutD, float* mOutF,
                                     double* gOut, int L, int NH, int G, int SPC, float eps,
                                     const unsigned char* __restrict__ gates)
{
    using S = Smem<DH>;
    constexpr int NP = S::NP, NW = DH / 2, NSL = DH / NS, KS = NW / 16;
    static_assert(S::BYTES <= slmf::SMEM_MAX, "fits one block's shared memory");
    SL_EXTERN_SHARED __align__(1024) unsigned char smem_wg[];
    unsigned char* sQ = smem_wg + S::Q_OFF;
    unsigned char* sK = smem_wg + S::K_OFF;
    unsigned char* sP = smem_wg + S::P_OFF;
    __nv_bfloat16* sVT = reinterpret_cast<__nv_bfloat16*>(smem_wg + S::VT_OFF);
    __nv_bfloat16* sUT = reinterpret_cast<__nv_bfloat16*>(smem_wg + S::UT_OFF);
    float* sVf = reinterpret_cast<float*>(smem_wg + S::VF_OFF);
    float* sXS = reinterpret_cast<float*>(smem_wg + S::XS_OFF);
    float* sXO = reinterpret_cast<float*>(smem_wg + S::XO_OFF);
    double* sb = reinterpret_cast<double*>(smem_wg + S::G_OFF);
    double* smt = sb + Q;
    float* si = reinterpret_cast<float*>(smt + Q);
    float* sN = reinterpret_cast<float*>(smem_wg + S::N_OFF);
    float* su = reinterpret_cast<float*>(smem_wg + S::MISC_OFF);
    float* sqn = su + Q;
    float* sden = sqn + Q;   // (2, Q)

    const int tid = threadIdx.x, wg = tid >> 7, wi = (tid >> 5) & 3, lane = tid & 31, g4 = lane >> 2, q4 = lane & 3;
    const int slab = blockIdx.x % NSL, seg = blockIdx.x / NSL, hh = blockIdx.y, b = blockIdx.z;
    const int c0 = slab * NS;
    const size_t bh = (size_t)b * NH + hh, sidx = bh * G + seg;
    const int nch = (L + Q - 1) / Q, cBeg = seg * SPC, cEnd = min(nch, cBeg + SPC);
    const float scale = rsqrtf((float)DH);
    const int vr0 = 16 * wi + g4;   // this thread's accumulator rows vr0, vr0 + 8 (value channels, or tokens in S)

    // Cᵀ of the slab, this warpgroup's key half: cst[4j + e] = Cᵀ(vr0 + 8(e >> 1), w·NW + 8j + 2q4 + (e & 1))
    float cst[NW / 2];
    auto c_elems = [&](auto f) {
#pragma unroll
        for (int j = 0; j < NW / 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) f(vr0 + 8 * (e >> 1), wg * NW + 8 * j + 2 * q4 + (e & 1), cst[4 * j + e]);
    };
    double mPrev = -INFINITY;
    if constexpr (stateOnly) {
#pragma unroll
        for (int i = 0; i < NW / 2; ++i) cst[i] = 0.f;
        for (int i = tid; i < DH; i += THREADS) sN[i] = 0.f;
    } else {
        const float* Cb = Cin + sidx * DH * DH;
        c_elems([&](int vv, int kk, float& x) { x = Cb[(size_t)kk * DH + c0 + vv]; });
        for (int i = tid; i < DH; i += THREADS) sN[i] = nIn[sidx * DH + i];
        mPrev = mInD ? mInD[sidx] : (double)mInF[bh];
    }
    __syncthreads();
    // k's rows Q..Q+7 of every panel: bf16(n⁻) in row Q, zeros after (the copies below write rows < Q only)
    for (int i = tid; i < NP * 8 * 64; i += THREADS) {
        const int p = i / 512, r = Q + (i / 64) % 8, c = i % 64;
        *reinterpret_cast<__nv_bfloat16*>(sK + p * PANEL_K + swz(r, c)) =
            __float2bfloat16_rn(r == Q ? sN[p * 64 + c] : 0.f);
    }
    double gSum = 0.0;

    // chunk cc's q (unless stateOnly) and k into the panels, its gate record and fp32 v slab: one commit group
    auto copy_in = [&](int cc) {
        const int tc = cc * Q, qc = min(Q, L - tc);
        const size_t gc = ((size_t)b * L + tc) * NH + hh;
        constexpr int W8 = DH / 8;
        for (int i = tid; i < Q * W8; i += THREADS) {
            const int s = i / W8, d8 = i - s * W8;
            const bool valid = s < qc;
            const size_t off = valid ? (gc + (size_t)s * NH) * DH + 8 * d8 : 0;
            const int dst = (d8 >> 3) * PANEL_K + s * 128 + (((d8 ^ s) & 7) << 4);
            sl::sl_cp<16>(reinterpret_cast<float*>(sK + dst), reinterpret_cast<const float*>(k + off), valid);
            if constexpr (!stateOnly) {
                const int dq = (d8 >> 3) * PANEL_Q + s * 128 + (((d8 ^ s) & 7) << 4);
                sl::sl_cp<16>(reinterpret_cast<float*>(sQ + dq), reinterpret_cast<const float*>(q + off), valid);
            }
        }
        for (int i = tid; i < slmf::gate_bytes(Q) / 16; i += THREADS)
            sl::sl_cp<16>(reinterpret_cast<float*>(sb) + 4 * i,
                          reinterpret_cast<const float*>(gates + (bh * nch + cc) * slmf::gate_bytes(Q)) + 4 * i, true);
        for (int i = tid; i < Q * NS / 4; i += THREADS) {
            const int s = i / (NS / 4), d = (i % (NS / 4)) * 4;
            const bool valid = s < qc;
            sl::sl_cp<16>(sVf + s * NS + d, v + (valid ? (gc + (size_t)s * NH) * DH + c0 + d : 0), valid);
        }
        sl::sl_cp_commit();
    };
    // ldmatrix lane offsets of an A fragment (rows lane & 15, k half lane >> 4)
    const int aRow = lane & 15, aCol = (lane >> 4) << 3;
    const int mnL = SWAP_MN ? 1024 : PANEL_K, mnS = SWAP_MN ? PANEL_K : 1024;

    for (int c = cBeg; c < cEnd; ++c) {
        const int t0 = c * Q, qn = min(Q, L - t0);
        const size_t g0 = ((size_t)b * L + t0) * NH + hh;
        const bool inter = !isinf(mPrev);
        copy_in(c);
        sl::sl_cp_wait_all();
        proxy_fence();   // the copies and n⁻'s row, written through the generic proxy, read by wgmma
        __syncthreads();

        const double g = sb[qn - 1], mNew = fmax(g + mPrev, g + smt[qn - 1]);
        const float fdec = inter ? (float)exp(g + mPrev - mNew) : 0.f;
        auto row_max = [&](int t) { return fmax(mPrev, smt[t]); };

        float oh[16];   // Oᵀ for tokens [32·wg, 32·wg + 32): oh[4j + e] = Oᵀ(vr0 + 8(e >> 1), 32·wg + 8j + 2q4 + (e & 1))
#pragma unroll
        for (int i = 0; i < 16; ++i) oh[i] = 0.f;
        float sacc[36];
        if constexpr (!stateOnly) {
            if (inter) {
                // Oᵀ_inter over this warpgroup's key half, the A fragments converted from Cᵀ four steps at a time
                float oacc[32];
                unsigned af[2][4][4];
                wg_fence();
#pragma unroll
                for (int kb = 0; kb < KS / 4; ++kb) {
#pragma unroll
                    for (int s4 = 0; s4 < 4; ++s4) {
                        const int j = 2 * (4 * kb + s4);
                        unsigned* a = af[kb & 1][s4];
                        a[0] = sl::pack_bf16x2(cst[4 * j], cst[4 * j + 1]);
                        a[1] = sl::pack_bf16x2(cst[4 * j + 2], cst[4 * j + 3]);
                        a[2] = sl::pack_bf16x2(cst[4 * j + 4], cst[4 * j + 5]);
                        a[3] = sl::pack_bf16x2(cst[4 * j + 6], cst[4 * j + 7]);
                    }
                    wg_fence();
#pragma unroll
                    for (int s4 = 0; s4 < 4; ++s4) {
                        const int kk = wg * NW + 16 * (4 * kb + s4);
                        slwg::mma_rs_n64(oacc, af[kb & 1][s4], desc_k(sQ + (kk >> 6) * PANEL_Q + (kk & 63) * 2),
                                         kb > 0 || s4 > 0);
                    }
                    wg_commit();
                    wg_wait<1>();
                }
                wg_wait<0>();
                // keep tokens [32·wg, +32), hand the other half over
                float* xo = sXO + (1 - wg) * NS * XLD;
#pragma unroll
                for (int j = 0; j < 8; ++j)
#pragma unroll
                    for (int e = 0; e < 4; ++e) {
                        if ((j >> 2) == wg) oh[4 * (j & 3) + e] = oacc[4 * j + e];
                        else xo[(vr0 + 8 * (e >> 1)) * XLD + 8 * (j & 3) + 2 * q4 + (e & 1)] = oacc[4 * j + e];
                    }
            }
            // S and q·n⁻ over this warpgroup's key half
            wg_fence();
#pragma unroll
            for (int s = 0; s < KS; ++s) {
                const int kk = wg * NW + 16 * s, pofs = (kk & 63) * 2;
                slwg::mma_ss_n72(sacc, desc_k(sQ + (kk >> 6) * PANEL_Q + pofs), desc_k(sK + (kk >> 6) * PANEL_K + pofs), s > 0);
            }
            wg_commit();
        }
        // while S runs: Vᵀ, (u ⊙ V)ᵀ (the weight recomputed per token: su is read after the next barrier only) and u
        for (int i = tid; i < Q * NS / 4; i += THREADS) {
            const int s = i / (NS / 4), d = (i % (NS / 4)) * 4;
            const float u = s < qn ? __expf((float)(g - sb[s] + si[s] - mNew)) * scale : 0.f;
            const float4 x = *reinterpret_cast<const float4*>(sVf + s * NS + d);
            const float xs[4] = {x.x, x.y, x.z, x.w};
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                if constexpr (!stateOnly) sVT[(d + e) * LDT + s] = __float2bfloat16_rn(xs[e]);
                sUT[(d + e) * LDT + s] = __float2bfloat16_rn(xs[e] * u);
            }
            if (d == 0) su[s] = u;
        }
        if constexpr (!stateOnly) {
            wg_wait<0>();
            float* xs = sXS + (1 - wg) * Q * XLD;
#pragma unroll
            for (int j = 0; j < 9; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int row = vr0 + 8 * (e >> 1);
                    if (j == 8) {
                        if (wg == 1 && q4 == 0 && (e & 1) == 0) xs[row * XLD + 32] = sacc[32 + e];
                    } else if ((j >> 2) != wg) {
                        xs[row * XLD + 8 * (j & 3) + 2 * q4 + (e & 1)] = sacc[4 * j + e];
                    }
                }
        }
        __syncthreads();

        if constexpr (!stateOnly) {
            // this warpgroup's columns [32·wg, +32) of S summed, P = bf16(decay · S / √DH) and its row sums
            const float* xs = sXS + wg * Q * XLD;
            float rs[2] = {0.f, 0.f};
#pragma unroll
            for (int jj = 0; jj < 4; ++jj) {
                const int j = 4 * wg + jj;
#pragma unroll
                for (int hf = 0; hf < 2; ++hf) {
                    const int t = vr0 + 8 * hf, s0 = 8 * j + 2 * q4;
                    float p[2];
#pragma unroll
                    for (int e = 0; e < 2; ++e) {
                        const int s = s0 + e;
                        // static register indices (a runtime index would put sacc in local memory)
                        const float mine = wg == 0 ? sacc[4 * jj + 2 * hf + e] : sacc[4 * (4 + jj) + 2 * hf + e];
                        const float sv = mine + xs[t * XLD + 8 * jj + 2 * q4 + e];
                        p[e] = s <= t && t < qn ? __expf((float)(si[s] - sb[s] - row_max(t))) * sv * scale : 0.f;
                    }
                    const unsigned pk = sl::pack_bf16x2(p[0], p[1]);
                    *reinterpret_cast<unsigned*>(sP + swz(t, s0)) = pk;
                    const __nv_bfloat162 r = *reinterpret_cast<const __nv_bfloat162*>(&pk);
                    rs[hf] += __bfloat162float(r.x) + __bfloat162float(r.y);
                }
            }
#pragma unroll
            for (int hf = 0; hf < 2; ++hf) {
                rs[hf] += __shfl_xor_sync(0xffffffffu, rs[hf], 1);
                rs[hf] += __shfl_xor_sync(0xffffffffu, rs[hf], 2);
                if (q4 == 0) {
                    const int t = vr0 + 8 * hf;
                    sden[wg * Q + t] = rs[hf];
                    if (wg == 0) sqn[t] = sacc[32 + 2 * hf] + xs[t * XLD + 32];
                }
            }
            // this warpgroup's token half of Oᵀ_inter summed and weighted by w_τ
            if (inter) {
                const float* xo = sXO + wg * NS * XLD;
#pragma unroll
                for (int jj = 0; jj < 4; ++jj)
#pragma unroll
                    for (int e = 0; e < 4; ++e) {
                        const int t = 32 * wg + 8 * jj + 2 * q4 + (e & 1);
                        oh[4 * jj + e] = (oh[4 * jj + e] + xo[(vr0 + 8 * (e >> 1)) * XLD + 8 * jj + 2 * q4 + (e & 1)]) *
                                         __expf((float)(mPrev - row_max(t)));
                    }
            }
            proxy_fence();
        }
        __syncthreads();

        if constexpr (!stateOnly) {
            // Oᵀ += Vᵀ·Pᵀ for tokens [32·wg, +32) (P is zero right of the diagonal: the first warpgroup's last two
            // steps add zeros, kept so that both warpgroups issue the same products)
            unsigned a[Q / 16][4];
#pragma unroll
            for (int ks = 0; ks < Q / 16; ++ks)
                sl::ldsm_x4(a[ks][0], a[ks][1], a[ks][2], a[ks][3], sVT + (16 * wi + aRow) * LDT + 16 * ks + aCol);
            wg_fence();
#pragma unroll
            for (int ks = 0; ks < Q / 16; ++ks) slwg::mma_rs_n32(oh, a[ks], desc_k(sP + 32 * wg * 128 + 32 * ks), 1);
            wg_commit();
            wg_wait<0>();
#pragma unroll
            for (int jj = 0; jj < 4; ++jj)
#pragma unroll
                for (int e1 = 0; e1 < 2; ++e1) {
                    const int t = 32 * wg + 8 * jj + 2 * q4 + e1;
                    if (t >= qn) continue;
                    const double Mt = row_max(t);
                    const float wt = inter ? __expf((float)(mPrev - Mt)) : 0.f;
                    const float den = fmaxf(fabsf(fmaf(wt, sqn[t], sden[t] + sden[Q + t])), (float)exp(-(sb[t] + Mt))) + eps;
                    const float inv = 1.f / den;
                    float* hrow = h + (g0 + (size_t)t * NH) * DH + c0;
                    hrow[vr0] = oh[4 * jj + e1] * inv;
                    hrow[vr0 + 8] = oh[4 * jj + 2 + e1] * inv;
                }
        }

        // Cᵀ = fdec·Cᵀ + (u ⊙ V)ᵀ·K on the tensor cores while n = fdec·n + Kᵀu runs on the CUDA cores
#pragma unroll
        for (int i = 0; i < NW / 2; ++i) cst[i] *= fdec;
        {
            unsigned a[Q / 16][4];   // every step's fragments loaded before the fence: none written under a product
#pragma unroll
            for (int ks = 0; ks < Q / 16; ++ks)
                sl::ldsm_x4(a[ks][0], a[ks][1], a[ks][2], a[ks][3], sUT + (16 * wi + aRow) * LDT + 16 * ks + aCol);
            wg_fence();
#pragma unroll
            for (int ks = 0; ks < Q / 16; ++ks) {
                const uint64_t db = desc_mn(sK + (wg * NW / 64) * PANEL_K + ks * 16 * 128, mnL, mnS);
                if constexpr (NW == 256) slwg::mma_rs_t_n256(cst, a[ks], db, 1);
                else slwg::mma_rs_t_n128(cst, a[ks], db, 1);
            }
            wg_commit();
        }
        for (int p = tid; p < DH / 2; p += THREADS) {
            const int d = 2 * p, pnl = d >> 6, cc = d & 63;
            float n0 = fdec * sN[d], n1 = fdec * sN[d + 1];
            for (int s = 0; s < qn; ++s) {
                const __nv_bfloat162 kv = *reinterpret_cast<const __nv_bfloat162*>(sK + pnl * PANEL_K + swz(s, cc));
                n0 = fmaf(su[s], __bfloat162float(kv.x), n0);
                n1 = fmaf(su[s], __bfloat162float(kv.y), n1);
            }
            sN[d] = n0;
            sN[d + 1] = n1;
            *reinterpret_cast<unsigned*>(sK + pnl * PANEL_K + swz(Q, cc)) = sl::pack_bf16x2(n0, n1);
        }
        wg_wait<0>();
        mPrev = mNew;
        gSum += g;
        __syncthreads();   // every read of this chunk's buffers done before the next chunk's copies
    }

    if (Cout) {
        float* Cb = Cout + sidx * DH * DH;
        c_elems([&](int vv, int kk, float& x) { Cb[(size_t)kk * DH + c0 + vv] = x; });
        if (slab == 0) {
            for (int i = tid; i < DH; i += THREADS) nOut[sidx * DH + i] = sN[i];
            if (tid == 0) {
                if (mOutD) mOutD[sidx] = mPrev;
                if (mOutF) mOutF[bh] = (float)mPrev;
                if (gOut) gOut[sidx] = gSum;
            }
        }
    }
}
#endif
}  // namespace slwm

// Same arguments as the fused _bq builds (ig and fg unused: the gates come from mlstm_gate_prep's records at Q 64).
#define SL_MLSTM_WG(NAME, DH, SWAP)                                                                                  \
    extern "C" {                                                                                                   \
    __constant__ int NAME##_smem = slwm::Smem<DH>::BYTES;                                                          \
    __constant__ int NAME##_chunk = slwm::Q;                                                                       \
    }                                                                                                              \
    extern "C" __global__ void __launch_bounds__(slwm::THREADS, 1) NAME(                                           \
        const __nv_bfloat16* q, const __nv_bfloat16* k, const float* v, const float* ig, const float* fg,         \
        const float* Cin, const float* nIn, const double* mInD, const float* mInF, float* h, float* Cout,          \
        float* nOut, double* mOutD, float* mOutF, double* gOut, int L, int NH, int G, int SPC, float eps,          \
        int stateOnly, const unsigned char* gates)                                                                 \
    {                                                                                                              \
        SL_MLSTM_WG_BODY(DH, SWAP)                                                                                 \
    }
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SL_MLSTM_WG_BODY(DH, SWAP)                                                                                 \
    if (stateOnly) slwm::body<DH, SWAP, true>(q, k, v, Cin, nIn, mInD, mInF, h, Cout, nOut, mOutD, mOutF, gOut, L, NH, G, \
                                              SPC, eps, gates);                                                     \
    else slwm::body<DH, SWAP, false>(q, k, v, Cin, nIn, mInD, mInF, h, Cout, nOut, mOutD, mOutF, gOut, L, NH, G, SPC,  \
                                     eps, gates);
#else
#define SL_MLSTM_WG_BODY(DH, SWAP) __trap();
#endif
SL_MLSTM_WG(mlstm_wg_d256, 256, false)
SL_MLSTM_WG(mlstm_wg_d512, 512, false)
SL_MLSTM_WG(mlstm_wg_d256_swapmn, 256, true)
SL_MLSTM_WG(mlstm_wg_d512_swapmn, 512, true)
#undef SL_MLSTM_WG
#undef SL_MLSTM_WG_BODY
