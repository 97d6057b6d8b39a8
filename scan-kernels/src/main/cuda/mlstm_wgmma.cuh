// mLSTM chunkwise with the state on chip on wgmma (sm_90a): the contract, the math and the precision of the fused
// kernel's _bq builds (mlstm_fused.cuh: q and k in bf16, gate records from mlstm_gate_prep, fp32 v in, fp32 h out,
// the same launches for one walk and for segments), with every product issued by warpgroups instead of warps.
//
// Glossary: DH head dim (a multiple of 32 up to 512; builds at 64, 96, 128, 192, 256, 384, 512), DP = DH rounded up to a
// multiple of 128 (the key channels the products run over: those past DH are zeros in q, k, C and n), NS = 64 value
// channels per block (the slab; where DH is not a multiple of 64 the last slab's channels past DH are zeros), Q = 64
// chunk length, WGS warpgroups per block (1 up to DP 256, else 2), NW = DP/WGS key channels per warpgroup, QT = Q/WGS
// tokens per warpgroup, NP = DP/64 panels (64 key channels each), qn tokens in this chunk.
// Block: (b, head, slab, segment) as the fused kernel, 128·WGS threads. Warpgroup w holds Cᵀ's key channels
// [w·NW, (w+1)·NW) of the slab (NS × NW fp32, the wgmma accumulator of m64nNW: NW/2 registers a thread). Up to DP
// 256 one warpgroup holds all of it (64 or 128 registers a thread): no partial sums to exchange, and two blocks fit
// an SM, so one block's scalar phases overlap the other's products (1.1-1.5x over two warpgroups per block on an
// H100, NOTES.md).
//
// Per chunk, in this order (math as mlstm_fused.cuh; "per half": with two warpgroups each over its key half, the two
// partial sums added through shared memory):
//   Oᵀ_inter = C⁻ᵀ·Qᵀ          per half   A = bf16(C⁻ᵀ) converted from the accumulators, B = q panels (K-major)
//   S = Q·[K; n⁻]ᵀ             per half   A = q panels, B = k panels with n⁻ as row Q (S's column Q is q·n⁻); while
//                                         it runs, V and u ⊙ V are converted to bf16 and the per-token weights formed
//   Cᵀ = fdec·Cᵀ + (u⊙V)ᵀ·K               A = (u⊙V)ᵀ, B = k panels, both read MN-major (the descriptors
//                                         transposes); C⁻ was last read by Q·C⁻, so it goes out before P
//   P, its row sums, n = fdec·n + Kᵀu     while the state update runs: P on CUDA cores, n on mma.sync (bf16 k, u as
//                                         a bf16 and a rest column, fp32 accuracy)
//   Oᵀ += Vᵀ·Pᵀ, h                        warpgroup w: tokens [QT·w, +QT), A = Vᵀ (MN-major), B = P
// Shared memory: q and k as NP panels of 128-byte rows in the 128-byte-swizzled layout (16-byte chunk c of row r at
// c ^ (r % 8)), which wgmma reads both K-major and MN-major; P, V and u ⊙ V the same.
// The next chunk's q, gates and v are copied (cp.async) once this chunk's S is done, its k once the state update and
// n are: k lands while P·V, h and the next chunk's Q·C⁻ run. There is no room for a second k buffer at DH 512.
// Checked against a float64 recurrence by src/test/cuda/mlstm_bf16_check.cu (mode 4, and its wgmma unit checks of
// the descriptor forms) and by the bf16 conformance suite through CudaOps (FusedKernel.WGMMA) on the GPU, and in CI
// on the CPU warp emulator (src/test/cuda/emu/mlstm_emu.cpp, wgmma modelled by wgmma_emu.hpp).
#pragma once
#include "common.cuh"
#include <cuda_bf16.h>
#include "mma_frag.cuh"
#include "mlstm_gates.cuh"   // slm16::st_bf16x4
#include "cp_async.cuh"
#include "wgmma_bf16.cuh"
#include "mlstm_fused.cuh"   // slmf::gate_bytes and mlstm_gate_prep's records

namespace slwm {
constexpr int Q = 64, NS = 64, XLD = 36;
constexpr int PANEL_Q = Q * 128, PANEL_K = (Q + 8) * 128;   // bytes; k's panels carry n⁻ in row Q, zeros after

__host__ __device__ constexpr int padded(int dh) { return (dh + 127) / 128 * 128; }
// Warpgroups per block: one where it holds the slab's whole Cᵀ in 128 registers a thread or fewer (DP <= 256: blocks
// of 128 threads, two resident per SM, no partial sums to exchange), else two, each over half the key channels.
__host__ __device__ constexpr int warpgroups(int dh) { return padded(dh) <= 256 ? 1 : 2; }
__host__ __device__ constexpr int threads(int dh) { return 128 * warpgroups(dh); }
__host__ __device__ constexpr int pow2_floor(int x) { return x >= 2 ? 2 * pow2_floor(x / 2) : x; }

template <int DH>
struct Smem {
    static constexpr int DP = padded(DH);
    static constexpr int NP = DP / 64;
    static constexpr int Q_OFF = 0;                           // NP × (Q, 64) bf16 q, swizzled
    static constexpr int K_OFF = Q_OFF + NP * PANEL_Q;        // NP × (Q + 8, 64) bf16 k, row Q = bf16(n⁻)
    static constexpr int P_OFF = K_OFF + NP * PANEL_K;        // (Q, 64) bf16 P, swizzled
    static constexpr int V_OFF = P_OFF + Q * 128;             // (Q, NS) bf16 V, swizzled
    static constexpr int U_OFF = V_OFF + Q * 128;             // (Q, NS) bf16 u ⊙ V, swizzled
    static constexpr int VF_OFF = U_OFF + Q * 128;            // (Q, NS) fp32 v slab as copied
    static constexpr int X2 = warpgroups(DH) == 2 ? 2 : 0;    // the exchanges below exist with two warpgroups only
    static constexpr int XS_OFF = VF_OFF + Q * NS * 4;        // (2, Q, XLD) fp32 S halves for the other warpgroup
    static constexpr int XO_OFF = XS_OFF + X2 * Q * XLD * 4;  // (2, NS, XLD) fp32 Oᵀ halves for the other warpgroup
    static constexpr int G_OFF = XO_OFF + X2 * NS * XLD * 4;  // the chunk's gate record: b (Q) fp64, running max a (Q)
                                                              // fp64, ĩ (Q) fp32
    static constexpr int N_OFF = G_OFF + slmf::GATE_BYTES_PER_TOKEN * Q;   // (DP) fp32 n
    static constexpr int MISC_OFF = N_OFF + 4 * DP;           // u, q·n⁻, row sums of P (one per warpgroup), w_τ,
                                                              // exp(−m_τ), log2e·M_τ, log2e·(ĩ_σ − b_σ) (Q each), fdec
    static constexpr int BYTES = MISC_OFF + 4 * (6 + warpgroups(DH)) * Q + 16;
};

// sm_90a, or the CPU warp emulator (src/test/cuda/emu/wgmma_emu.hpp), which supplies wgmma
#if defined(__CUDA_ARCH_FEAT_SM90_ALL) || defined(SL_WARP_EMU)
using slwg::proxy_fence;

// 128-byte-swizzle descriptors: K-major (wgmma_bf16.cuh's) and MN-major (64-element atoms along MN lbo bytes apart,
// 8-row groups along K sbo bytes apart)
using slwg::desc_k;
__device__ __forceinline__ uint64_t desc_mn(const void* p, int lbo, int sbo)
{
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
    return (uint64_t)((a & 0x3FFFF) >> 4) | (uint64_t)(lbo >> 4) << 16 | (uint64_t)(sbo >> 4) << 32 | (uint64_t)1 << 62;
}
// byte offset of bf16 element (row r, column c) in a swizzled panel of 128-byte rows
__device__ __forceinline__ int swz(int r, int c) { return r * 128 + ((((c >> 3) ^ r) & 7) << 4) + (c & 7) * 2; }

// A step of 16 key channels at kk into an operand of 128-byte-row panels `panel` bytes apart: what it adds to the
// descriptor of the first panel (byte offset / 16; the 14-bit start address field cannot carry, as shared memory
// ends below 256 KB)
__device__ __forceinline__ uint64_t kstep(int kk, int panel) { return (uint64_t)(((kk >> 6) * panel + (kk & 63) * 2) >> 4); }

template <int DH, bool stateOnly>
__device__ __forceinline__ void body(const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ k,
                                     const float* __restrict__ v, const float* Cin, const float* nIn, const double* mInD,
                                     const float* mInF, float* h, float* Cout, float* nOut, double* mOutD, float* mOutF,
                                     double* gOut, int L, int NH, int G, int SPC, float eps,
                                     const unsigned char* __restrict__ gates)
{
    using S = Smem<DH>;
    constexpr int WGS = warpgroups(DH), THREADS = threads(DH);
    constexpr int DP = S::DP, NP = S::NP, NW = DP / WGS, NSL = (DH + NS - 1) / NS, KS = NW / 16;
    constexpr int QT = Q / WGS;   // tokens of P's columns, of Oᵀ and of h per warpgroup
    // Q·C⁻ before S, or after P (and the next chunk's q copied with its k) where one warpgroup holds a 256-key state:
    // there its registers and P's do not fit together (the build spilled 48 bytes, 8 after; 1.02x on an H100, while
    // at DP 128 the later copy of q cost 1%)
    constexpr bool LATE_QC = WGS == 1 && DP == 256 && !stateOnly;
    static_assert(DH % 32 == 0 && DH <= 512, "value slabs of 64 channels, the last one padded by at most 32");
    constexpr bool VPAD = DH % NS != 0;   // the last slab's value channels past DH: zeros in v, C; h not written
    static_assert(S::BYTES <= slmf::SMEM_MAX, "fits one block's shared memory");
    static_assert(NS == Q, "V and u ⊙ V are (Q, 64) swizzled panels");
    SL_EXTERN_SHARED __align__(1024) unsigned char smem_wg[];
    unsigned char* sQ = smem_wg + S::Q_OFF;
    unsigned char* sK = smem_wg + S::K_OFF;
    unsigned char* sP = smem_wg + S::P_OFF;
    unsigned char* sV = smem_wg + S::V_OFF;
    unsigned char* sU = smem_wg + S::U_OFF;
    float* sVf = reinterpret_cast<float*>(smem_wg + S::VF_OFF);
    float* sXS = reinterpret_cast<float*>(smem_wg + S::XS_OFF);
    float* sXO = reinterpret_cast<float*>(smem_wg + S::XO_OFF);
    // the gate record of the chunk: read only for the per-token terms at the chunk's start, so the next one is copied
    // into the same buffer (after S, or with LATE_QC after the products)
    const double* sG = reinterpret_cast<const double*>(smem_wg + S::G_OFF);
    float* sN = reinterpret_cast<float*>(smem_wg + S::N_OFF);
    float* su = reinterpret_cast<float*>(smem_wg + S::MISC_OFF);
    float* sqn = su + Q;
    float* sden = sqn + Q;   // (WGS, Q)
    float* sw = sden + WGS * Q;   // w_τ = exp(m⁻ − M_τ) (0 without an incoming state)
    float* slo = sw + Q;        // exp(−m_τ), the normalizer's floor
    float* srow = slo + Q;      // log2e·M_τ, M_τ = max(m⁻, a_τ)
    float* scol = srow + Q;     // log2e·(ĩ_σ − b_σ): P's decay is exp2(scol_σ − srow_τ)
    float* sfdec = scol + Q;    // the state's decay over this chunk, exp(g + m⁻ − m⁺)

    // the warpgroup and warp indices broadcast from lane 0, so that the compiler knows them warp-uniform and keeps
    // the descriptors built from them in uniform registers
    const int tid = threadIdx.x, wg = __shfl_sync(0xffffffffu, tid >> 7, 0), wi = __shfl_sync(0xffffffffu, (tid >> 5) & 3, 0);
    const int lane = tid & 31, g4 = lane >> 2, q4 = lane & 3;
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
        for (int i = tid; i < DP; i += THREADS) sN[i] = 0.f;
    } else {
        const float* Cb = Cin + sidx * DH * DH;
        c_elems([&](int vv, int kk, float& x) {
            x = (DP == DH || kk < DH) && (!VPAD || c0 + vv < DH) ? Cb[(size_t)kk * DH + c0 + vv] : 0.f;
        });
        for (int i = tid; i < DP; i += THREADS) sN[i] = i < DH ? nIn[sidx * DH + i] : 0.f;
        mPrev = mInD ? mInD[sidx] : (double)mInF[bh];
    }
    __syncthreads();
    // k's rows Q..Q+7 of every panel: bf16(n⁻) in row Q, zeros after (the copies below write rows < Q only)
    for (int i = tid; i < NP * 8 * 64; i += THREADS) {
        const int p = i / 512, r = Q + (i / 64) % 8, c = i % 64;
        *reinterpret_cast<__nv_bfloat16*>(sK + p * PANEL_K + swz(r, c)) =
            __float2bfloat16_rn(r == Q ? sN[p * 64 + c] : 0.f);
    }
    // q's and k's padding key channels DH..DP: zeros, never copied over (the copies write the 16-byte words below DH
    // only, so no barrier is needed before they go out)
    if constexpr (DP != DH) {
        constexpr int PW = (DP - DH) / 8;   // padding words per row
        for (int i = tid; i < Q * PW; i += THREADS) {
            const int r = i / PW, w = DH / 8 + i % PW;   // word w of the row: panel w / 8, 16-byte chunk w % 8
            *reinterpret_cast<uint4*>(sQ + (w >> 3) * PANEL_Q + swz(r, 8 * (w & 7))) = make_uint4(0u, 0u, 0u, 0u);
            *reinterpret_cast<uint4*>(sK + (w >> 3) * PANEL_K + swz(r, 8 * (w & 7))) = make_uint4(0u, 0u, 0u, 0u);
        }
    }
    double gSum = 0.0;

    // Copies of a chunk's inputs, two commit groups: copy_a its q (unless stateOnly), gate record and fp32 v slab;
    // copy_k its k. Chunk c + 1's copy_a goes out once chunk c's S is done (q free) and its v converted (with LATE_QC
    // together with copy_k), its copy_k once chunk c's state update is done, so it lands while P·V and h run.
    constexpr int W8 = DH / 8;
    // A copying thread keeps one column d8 of 16-byte words and steps RS rows (the swizzle term changes by the
    // constant RS·j): RS the largest power of two with RS·W8 <= THREADS; the CT = RS·W8 first threads copy (all of
    // them except at DH 192 and 384, where 96 of 128 and 192 of 256 do: whole warps)
    constexpr int RS = pow2_floor(THREADS / W8), CT = RS * W8;
    static_assert(RS >= 1 && Q % RS == 0 && (RS % 8 == 0 || 8 % RS == 0), "whole row steps");
    const int cs0 = tid / W8, cd8 = tid % W8;
    const size_t rowStep = (size_t)NH * DH;   // elements from one token's row to the next
    auto panels = [&](unsigned char* dst0, int panel, const __nv_bfloat16* src, int cc) {
        if (tid >= CT) return;
        const int tc = cc * Q, qc = min(Q, L - tc);
        const __nv_bfloat16* row0 = src + (((size_t)b * L + tc) * NH + hh) * DH;
        const int rows = qc - cs0;   // this thread's rows j·RS < rows are in the sequence
        const __nv_bfloat16* p = row0 + cs0 * rowStep + 8 * cd8;
        unsigned char* d0 = dst0 + (cd8 >> 3) * panel + cs0 * 128;
        const int sw0 = (cd8 ^ cs0) & 7;
#pragma unroll
        for (int j = 0; j < Q / RS; ++j) {
            const bool valid = RS * j < rows;
            sl::sl_cp<16>(reinterpret_cast<float*>(d0 + RS * j * 128 + ((sw0 ^ ((RS * j) & 7)) << 4)),
                          reinterpret_cast<const float*>(valid ? p : src), valid);
            p += RS * rowStep;
        }
    };
    auto copy_a = [&](int cc) {
        if constexpr (!stateOnly) panels(sQ, PANEL_Q, q, cc);
        const int tc = cc * Q, qc = min(Q, L - tc);
        const size_t gc = ((size_t)b * L + tc) * NH + hh;
        static_assert(slmf::GATE_BYTES_PER_TOKEN * Q / 16 <= THREADS, "one gate word per thread");
        if (tid < slmf::gate_bytes(Q) / 16)
            sl::sl_cp<16>(reinterpret_cast<float*>(smem_wg + S::G_OFF) + 4 * tid,
                          reinterpret_cast<const float*>(gates + (bh * nch + cc) * slmf::gate_bytes(Q)) + 4 * tid, true);
        // v: a thread keeps its 4 columns and steps VR rows
        constexpr int VR = THREADS / (NS / 4);
        const int vs0 = tid / (NS / 4), vd = (tid % (NS / 4)) * 4;
        const float* pv = v + (gc + (size_t)vs0 * NH) * DH + c0 + vd;
        const bool inSlab = !VPAD || c0 + vd < DH;   // 4 value channels, all in or all past DH (DH % 32 == 0)
#pragma unroll
        for (int j = 0; j < Q / VR; ++j) {
            const bool valid = inSlab && vs0 + VR * j < qc;
            sl::sl_cp<16>(sVf + (vs0 + VR * j) * NS + vd, valid ? pv : v, valid);
            pv += VR * rowStep;
        }
        sl::sl_cp_commit();
    };
    auto copy_k = [&](int cc) {
        panels(sK, PANEL_K, k, cc);
        sl::sl_cp_commit();
    };
    if (cBeg < cEnd) {
        copy_a(cBeg);
        copy_k(cBeg);
    }
    // ldmatrix lane offsets of an A fragment stored k-major, through .trans (k rows lane & 7 plus the k half
    // lane >> 4, m half (lane >> 3) & 1)
    const int atRow = (lane & 7) + ((lane >> 4) << 3), atCol = ((lane >> 3) & 1) << 3;
    // An accumulator over 64 columns (tokens or keys) as n8 blocks 0-3 and 4-7: the half that belongs to the other
    // warpgroup goes to x (rows vr0, vr0 + 8, XLD floats apart), keep(index, pair) receives this warpgroup's half
    // (selects on wg, not branches, and static register indices)
    auto hand_over = [&](const float* acc, float* x, auto keep) {
#pragma unroll
        for (int jj = 0; jj < 4; ++jj)
#pragma unroll
            for (int hf = 0; hf < 2; ++hf) {
                const float2 lo = make_float2(acc[4 * jj + 2 * hf], acc[4 * jj + 2 * hf + 1]);
                const float2 hi = make_float2(acc[4 * (4 + jj) + 2 * hf], acc[4 * (4 + jj) + 2 * hf + 1]);
                keep(4 * jj + 2 * hf, wg == 0 ? lo : hi);
                *reinterpret_cast<float2*>(x + (vr0 + 8 * hf) * XLD + 8 * jj + 2 * q4) = wg == 0 ? hi : lo;
            }
    };
    // descriptors of this warpgroup's first operand tiles (a step adds kstep or its byte offset / 16); k read MN-major
    // for the state update: 64-key atoms a panel apart (lbo), 8-token groups 1024 bytes apart (sbo), the form the
    // harness's wgmma unit check requires
    const uint64_t dQw = desc_k(sQ + wg * (NW / 64) * PANEL_Q), dKw = desc_k(sK + wg * (NW / 64) * PANEL_K);
    const uint64_t dPw = desc_k(sP + QT * wg * 128), dKt = desc_mn(sK + wg * (NW / 64) * PANEL_K, PANEL_K, 1024);
    // (u ⊙ V)ᵀ and Vᵀ as A operands read MN-major from their (token, value) panels: the 64 value channels are one
    // atom (lbo unused), 8-token groups 1024 bytes apart
    const uint64_t dU = desc_mn(sU, Q * 128, 1024), dV = desc_mn(sV, Q * 128, 1024);
    // Oᵀ_inter (+)= C⁻ᵀ·Qᵀ over this warpgroup's key channels, the A fragments converted from Cᵀ four steps at a time
    auto inter_products = [&](float (&acc)[32]) {
        constexpr int AB = WGS;   // fragment buffers: one warpgroup keeps one (registers), two overlap two
        unsigned af[AB][4][4];
#pragma unroll
        for (int kb = 0; kb < KS / 4; ++kb) {
#pragma unroll
            for (int s4 = 0; s4 < 4; ++s4) {
                const int j = 2 * (4 * kb + s4);
                unsigned* a = af[kb % AB][s4];
                a[0] = sl::pack_bf16x2(cst[4 * j], cst[4 * j + 1]);
                a[1] = sl::pack_bf16x2(cst[4 * j + 2], cst[4 * j + 3]);
                a[2] = sl::pack_bf16x2(cst[4 * j + 4], cst[4 * j + 5]);
                a[3] = sl::pack_bf16x2(cst[4 * j + 6], cst[4 * j + 7]);
            }
            slwg::fence();
#pragma unroll
            for (int s4 = 0; s4 < 4; ++s4) {
                const int kk = 16 * (4 * kb + s4);   // within the warpgroup's key channels
                slwg::mma_rs_n64(acc, af[kb % AB][s4], dQw + kstep(kk, PANEL_Q), kb > 0 || s4 > 0);
            }
            slwg::commit();
            slwg::wait<AB - 1>();
        }
        slwg::wait<0>();
    };
    for (int c = cBeg; c < cEnd; ++c) {
        const int t0 = c * Q, qn = min(Q, L - t0);
        const size_t g0 = ((size_t)b * L + t0) * NH + hh;
        const bool inter = !isinf(mPrev);
        const double* sb = sG;
        const double* smt = sb + Q;
        const float* si = reinterpret_cast<const float*>(smt + Q);
        // q, gates and v landed (k may still be in flight, except in state mode, which starts with it)
        if constexpr (stateOnly) sl::sl_cp_wait_all();
        else sl::sl_cp_wait<1>();
        proxy_fence();   // the copies and n⁻'s row, written through the generic proxy, read by wgmma
        __syncthreads();

        const double g = sb[qn - 1], mNew = fmax(g + mPrev, g + smt[qn - 1]);
        // the per-token terms once, by the first Q threads (in fp64 where the gate sums are), read after the next
        // barrier: u, and for the outputs w_τ, the normalizer's floor and P's decay terms
        if (tid < Q) {
            const int t = tid;
            su[t] = t < qn ? __expf((float)(g - sb[t] + si[t] - mNew)) * scale : 0.f;
            if constexpr (!stateOnly) {
                const double Mt = fmax(mPrev, smt[t]);
                sw[t] = inter ? __expf((float)(mPrev - Mt)) : 0.f;
                slo[t] = (float)exp(-(sb[t] + Mt));
                srow[t] = (float)(Mt * 1.4426950408889634);
                scol[t] = (float)(((double)si[t] - sb[t]) * 1.4426950408889634);
            }
            if (t == 0) sfdec[0] = inter ? (float)exp(g + mPrev - mNew) : 0.f;
        }
        if constexpr (stateOnly) __syncthreads();   // (the output mode's next barrier is the one before S)

        float oh[QT / 2];   // Oᵀ for tokens [QT·wg, +QT): oh[4j + e] = Oᵀ(vr0 + 8(e >> 1), QT·wg + 8j + 2q4 + (e & 1))
#pragma unroll
        for (int i = 0; i < QT / 2; ++i) oh[i] = 0.f;
        float sacc[36];
        if constexpr (!stateOnly) {
            if constexpr (WGS == 2) {
                if (inter) {   // keep tokens [32·wg, +32), hand the other half over
                    float oacc[32];
                    inter_products(oacc);
                    hand_over(oacc, sXO + (1 - wg) * NS * XLD, [&](int i, float2 mine) {
                        oh[i] = mine.x;
                        oh[i + 1] = mine.y;
                    });
                }
            } else if constexpr (!LATE_QC) {
                if (inter) inter_products(oh);   // one warpgroup: straight into Oᵀ (all of its tokens)
            }
            sl::sl_cp_wait_all();   // k landed
            proxy_fence();
            __syncthreads();
            // S and q·n⁻ over this warpgroup's key half
            slwg::fence();
#pragma unroll
            for (int s = 0; s < KS; ++s) {
                slwg::mma_ss_n72(sacc, dQw + kstep(16 * s, PANEL_Q), dKw + kstep(16 * s, PANEL_K), s > 0);
            }
            slwg::commit();
        }
        // while S runs: V and u ⊙ V in bf16
        for (int i = tid; i < Q * NS / 4; i += THREADS) {
            const int s = i / (NS / 4), d = (i % (NS / 4)) * 4;
            const float u = su[s];
            const float4 x = *reinterpret_cast<const float4*>(sVf + s * NS + d);
            if constexpr (!stateOnly) slm16::st_bf16x4(reinterpret_cast<__nv_bfloat16*>(sV + swz(s, d)), x);
            slm16::st_bf16x4(reinterpret_cast<__nv_bfloat16*>(sU + swz(s, d)), make_float4(x.x * u, x.y * u, x.z * u, x.w * u));
        }
        if constexpr (!stateOnly) {
            slwg::wait<0>();
            if constexpr (WGS == 2) {
                float* xs = sXS + (1 - wg) * Q * XLD;
                hand_over(sacc, xs, [](int, float2) {});
                if (wg == 1 && q4 == 0) {   // q·n⁻'s partial (column Q of S) to the first warpgroup
                    xs[vr0 * XLD + 32] = sacc[32];
                    xs[(vr0 + 8) * XLD + 32] = sacc[34];
                }
            }
        }
        __syncthreads();
        // v converted and q read by S: chunk c + 1's q, gates and v go out (with LATE_QC, Q·C⁻ reads q after P below,
        // so they go out with k)
        if (c + 1 < cEnd && !LATE_QC) copy_a(c + 1);
        // Cᵀ = fdec·Cᵀ + (u ⊙ V)ᵀ·K on the tensor cores while P and n = fdec·n + Kᵀu are formed on the CUDA cores. It
        // needs only k and u ⊙ V; C⁻ is read by Q·C⁻ first (above, or below with LATE_QC).
        const float fdec = sfdec[0];
        auto state_update = [&] {
#pragma unroll
            for (int i = 0; i < NW / 2; ++i) cst[i] *= fdec;
            slwg::fence();
#pragma unroll
            for (int ks = 0; ks < Q / 16; ++ks) {
                const uint64_t step = (ks * 16 * 128) >> 4;   // 16 tokens on, in both operands
                if constexpr (NW == 256) slwg::mma_ss_tt_n256(cst, dU + step, dKt + step, 1);
                else if constexpr (NW == 192) slwg::mma_ss_tt_n192(cst, dU + step, dKt + step, 1);
                else slwg::mma_ss_tt_n128(cst, dU + step, dKt + step, 1);
            }
            slwg::commit();
        };
        if constexpr (!LATE_QC) state_update();

        if constexpr (!stateOnly) {
            // this warpgroup's columns [QT·wg, +QT) of S summed, P = bf16(decay · S / √DH) and its row sums
            const float* xs = sXS + wg * Q * XLD;
            float rs[2] = {0.f, 0.f};
            const float rowL[2] = {srow[vr0], srow[vr0 + 8]};
#pragma unroll
            for (int jj = 0; jj < QT / 8; ++jj) {
                const int s0 = QT * wg + 8 * jj + 2 * q4;
                const float2 colL = *reinterpret_cast<const float2*>(scol + s0);
#pragma unroll
                for (int hf = 0; hf < 2; ++hf) {
                    const int t = vr0 + 8 * hf;
                    const float2 other = WGS == 2 ? *reinterpret_cast<const float2*>(xs + t * XLD + 8 * jj + 2 * q4)
                                                  : make_float2(0.f, 0.f);
                    float p[2];
#pragma unroll
                    for (int e = 0; e < 2; ++e) {
                        const int s = s0 + e;
                        // static register indices (a runtime index would put sacc in local memory)
                        const float mine = WGS == 1 || wg == 0 ? sacc[4 * jj + 2 * hf + e] : sacc[4 * (4 + jj) + 2 * hf + e];
                        const float sv = mine + (e ? other.y : other.x);
                        // computed for every entry and then selected: no branch per entry (the masked ones may be inf)
                        const float x = exp2f((e ? colL.y : colL.x) - rowL[hf]) * sv * scale;
                        p[e] = s <= t && t < qn ? x : 0.f;
                    }
                    rs[hf] += slm16::st_bf16x2_sum(sP + swz(t, s0), p[0], p[1]);
                }
            }
#pragma unroll
            for (int hf = 0; hf < 2; ++hf) {
                rs[hf] = slm16::quad_sum(rs[hf]);
                if (q4 == 0) {
                    const int t = vr0 + 8 * hf;
                    sden[wg * Q + t] = rs[hf];
                    if (wg == 0) sqn[t] = sacc[32 + 2 * hf] + (WGS == 2 ? xs[t * XLD + 32] : 0.f);
                }
            }
            // LATE_QC: Oᵀ_inter now (P done, so sacc is free: fewer registers live at once), then the update
            if constexpr (LATE_QC) {
                if (inter) inter_products(oh);
                state_update();
            }
            // this warpgroup's tokens of Oᵀ_inter summed and weighted by w_τ
            if (inter) {
                const float* xo = sXO + wg * NS * XLD;
#pragma unroll
                for (int jj = 0; jj < QT / 8; ++jj)
#pragma unroll
                    for (int e = 0; e < 4; ++e) {
                        const int t = QT * wg + 8 * jj + 2 * q4 + (e & 1);
                        const float other = WGS == 2 ? xo[(vr0 + 8 * (e >> 1)) * XLD + 8 * jj + 2 * q4 + (e & 1)] : 0.f;
                        oh[4 * jj + e] = (oh[4 * jj + e] + other) * sw[t];
                    }
            }
        }
        {
            // n = fdec·n + Kᵀu on mma.sync (m16n8k16): warp w8 takes key rows [w8·KR, +KR), A = Kᵀ by ldmatrix.trans
            // of the swizzled panel, B's column 0 bf16(u), column 1 the rest u − bf16(u), so n = c0 + c1 (lanes q4 = 0)
            // keeps u's fp32 accuracy
            constexpr int KR = DP / (THREADS / 32), NT = KR / 16;   // key rows and m16 tiles per warp
            const int w8 = tid >> 5;
            float nacc[NT][4];
#pragma unroll
            for (int i = 0; i < NT; ++i) {
                const int r = w8 * KR + 16 * i + g4;
                nacc[i][0] = q4 == 0 ? fdec * sN[r] : 0.f;
                nacc[i][2] = q4 == 0 ? fdec * sN[r + 8] : 0.f;
                nacc[i][1] = nacc[i][3] = 0.f;
            }
#pragma unroll
            for (int ks = 0; ks < Q / 16; ++ks) {
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
                const int srow_ = ks * 16 + atRow;
#pragma unroll
                for (int i = 0; i < NT; ++i) {
                    const int kc = w8 * KR + 16 * i + atCol;   // first key channel of this lane's 8
                    unsigned af[4];
                    sl::ldsm_x4_t(af[0], af[1], af[2], af[3],
                                  reinterpret_cast<const __nv_bfloat16*>(sK + (kc >> 6) * PANEL_K + swz(srow_, kc & 63)));
                    sl::mma_bf16(nacc[i], af, nb[0], nb[1]);
                }
            }
            if (q4 == 0)
#pragma unroll
                for (int i = 0; i < NT; ++i)
#pragma unroll
                    for (int hf = 0; hf < 2; ++hf) {
                        const int r = w8 * KR + 16 * i + g4 + 8 * hf;
                        const float nv = nacc[i][2 * hf] + nacc[i][2 * hf + 1];
                        sN[r] = nv;
                        *reinterpret_cast<__nv_bfloat16*>(sK + (r >> 6) * PANEL_K + swz(Q, r & 63)) = __float2bfloat16_rn(nv);
                    }
        }
        slwg::wait<0>();
        proxy_fence();   // P, written through the generic proxy, read by wgmma below
        __syncthreads();   // P visible; every read of this chunk's q and k done
        if (c + 1 < cEnd) {
            if constexpr (LATE_QC) copy_a(c + 1);
            copy_k(c + 1);   // lands while P·V, h and the next chunk's Q·C⁻ run
        }

        if constexpr (!stateOnly) {
            // Oᵀ += Vᵀ·Pᵀ for tokens [QT·wg, +QT) (P is zero right of the diagonal: with two warpgroups the first one's
            // last two steps add zeros, kept so that both warpgroups issue the same products)
            slwg::fence();
#pragma unroll
            for (int ks = 0; ks < Q / 16; ++ks) {
                const uint64_t da = dV + ((ks * 16 * 128) >> 4), db = dPw + ((32 * ks) >> 4);
                if constexpr (WGS == 2) slwg::mma_ss_tn_n32(oh, da, db, 1);
                else slwg::mma_ss_tn_n64(oh, da, db, 1);
            }
            slwg::commit();
            // the normalizers of this thread's tokens while the products run
            float inv[QT / 8][2];
#pragma unroll
            for (int jj = 0; jj < QT / 8; ++jj)
#pragma unroll
                for (int e1 = 0; e1 < 2; ++e1) {
                    const int t = QT * wg + 8 * jj + 2 * q4 + e1;
                    const float den = WGS == 2 ? sden[t] + sden[Q + t] : sden[t];
                    inv[jj][e1] = 1.f / (fmaxf(fabsf(fmaf(sw[t], sqn[t], den)), slo[t]) + eps);
                }
            slwg::wait<0>();
#pragma unroll
            for (int jj = 0; jj < QT / 8; ++jj)
#pragma unroll
                for (int e1 = 0; e1 < 2; ++e1) {
                    const int t = QT * wg + 8 * jj + 2 * q4 + e1;
                    if (t >= qn) continue;
                    float* hrow = h + (g0 + (size_t)t * NH) * DH + c0;
                    if (!VPAD || c0 + vr0 < DH) hrow[vr0] = oh[4 * jj + e1] * inv[jj][e1];
                    if (!VPAD || c0 + vr0 + 8 < DH) hrow[vr0 + 8] = oh[4 * jj + 2 + e1] * inv[jj][e1];
                }
        }

        mPrev = mNew;
        gSum += g;
    }

    if (Cout) {
        float* Cb = Cout + sidx * DH * DH;
        c_elems([&](int vv, int kk, float& x) {
            if ((DP == DH || kk < DH) && (!VPAD || c0 + vv < DH)) Cb[(size_t)kk * DH + c0 + vv] = x;
        });
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
#define SL_MLSTM_WG(NAME, DH)                                                                                  \
    extern "C" {                                                                                                   \
    __constant__ int NAME##_smem = slwm::Smem<DH>::BYTES;                                                          \
    __constant__ int NAME##_chunk = slwm::Q;                                                                       \
    __constant__ int NAME##_threads = slwm::threads(DH);                                                           \
    }                                                                                                              \
    extern "C" __global__ void __launch_bounds__(slwm::threads(DH), 1) NAME(                                           \
        const __nv_bfloat16* q, const __nv_bfloat16* k, const float* v, const float* ig, const float* fg,         \
        const float* Cin, const float* nIn, const double* mInD, const float* mInF, float* h, float* Cout,          \
        float* nOut, double* mOutD, float* mOutF, double* gOut, int L, int NH, int G, int SPC, float eps,          \
        int stateOnly, const unsigned char* gates)                                                                 \
    {                                                                                                              \
        SL_MLSTM_WG_BODY(DH)                                                                                 \
    }
#if defined(__CUDA_ARCH_FEAT_SM90_ALL) || defined(SL_WARP_EMU)
#define SL_MLSTM_WG_BODY(DH)                                                                                 \
    if (stateOnly) slwm::body<DH, true>(q, k, v, Cin, nIn, mInD, mInF, h, Cout, nOut, mOutD, mOutF, gOut, L, NH, G, \
                                              SPC, eps, gates);                                                     \
    else slwm::body<DH, false>(q, k, v, Cin, nIn, mInD, mInF, h, Cout, nOut, mOutD, mOutF, gOut, L, NH, G, SPC,  \
                                     eps, gates);
#else
#define SL_MLSTM_WG_BODY(DH) __trap();
#endif
SL_MLSTM_WG(mlstm_wg_d64, 64)
SL_MLSTM_WG(mlstm_wg_d96, 96)
SL_MLSTM_WG(mlstm_wg_d128, 128)
SL_MLSTM_WG(mlstm_wg_d192, 192)
SL_MLSTM_WG(mlstm_wg_d256, 256)
SL_MLSTM_WG(mlstm_wg_d384, 384)
SL_MLSTM_WG(mlstm_wg_d512, 512)
#undef SL_MLSTM_WG
#undef SL_MLSTM_WG_BODY
