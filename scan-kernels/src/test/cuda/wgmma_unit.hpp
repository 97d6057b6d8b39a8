// The wgmma forms the wgmma mLSTM (mlstm_wgmma.cuh) uses, alone, shared by the CUDA harness (mlstm_bf16_check.cu,
// on the GPU) and the CPU warp emulator (emu/mlstm_emu.cpp, whose wgmma model must agree with the GPU on them).
// One warpgroup: D1 (64 × 128) = A (64 × 16) · B (16 × 128) with A in a (k, m) panel and B in k's panel layout, both
// read MN-major (the kernel's state update), B's lbo/sbo as given; D2 (64 × 72) = X (64 × 128) · Y (72 × 128)ᵀ with
// both in the panel layouts read K-major (its S); D3 (64 × 64) = A · X[:, 0:16]ᵀ, A read MN-major and X K-major (its
// P·V). Inputs are small integers over 8, exact in bf16, so the sums are exact. The kernel's MN-major form for B
// (lbo = panel stride, sbo = 1024) must match exactly; with lbo and sbo exchanged it must not (so the check can tell
// the two forms apart).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

constexpr int WG_UNIT_SMEM = 2 * slwm::PANEL_K + 2 * slwm::PANEL_Q + 2 * slwm::PANEL_K + 2048;
__global__ void wg_unit(const float* A, const float* B, const float* X, const float* Y, float* D1, float* D2, float* D3,
                        int swap)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL) || defined(SL_WARP_EMU)
    SL_EXTERN_SHARED __align__(1024) unsigned char smem_wgu[];   // WG_UNIT_SMEM bytes
    unsigned char* sB = smem_wgu;
    unsigned char* sX = smem_wgu + 2 * slwm::PANEL_K;
    unsigned char* sY = sX + 2 * slwm::PANEL_Q;
    unsigned char* sA = sY + 2 * slwm::PANEL_K;   // A (64 × 16) as a (k, m) panel of 16 rows
    const int tid0 = threadIdx.x;
    for (int i = tid0; i < 64 * 16; i += 128) {
        const int m = i / 16, kk = i % 16;
        *reinterpret_cast<__nv_bfloat16*>(sA + slwm::swz(kk, m)) = __float2bfloat16_rn(A[i]);
    }
    const int tid = threadIdx.x, wi = tid >> 5, lane = tid & 31, g4 = lane >> 2, q4 = lane & 3;
    for (int i = tid; i < 16 * 128; i += 128) {
        const int r = i / 128, c = i % 128;
        *reinterpret_cast<__nv_bfloat16*>(sB + (c >> 6) * slwm::PANEL_K + slwm::swz(r, c & 63)) = __float2bfloat16_rn(B[i]);
    }
    for (int i = tid; i < 64 * 128; i += 128) {
        const int r = i / 128, c = i % 128;
        *reinterpret_cast<__nv_bfloat16*>(sX + (c >> 6) * slwm::PANEL_Q + slwm::swz(r, c & 63)) = __float2bfloat16_rn(X[i]);
    }
    for (int i = tid; i < 72 * 128; i += 128) {
        const int r = i / 128, c = i % 128;
        *reinterpret_cast<__nv_bfloat16*>(sY + (c >> 6) * slwm::PANEL_K + slwm::swz(r, c & 63)) = __float2bfloat16_rn(Y[i]);
    }
    slwg::proxy_fence();
    __syncthreads();
    const int r0 = 16 * wi + g4;
    const uint64_t dA = slwm::desc_mn(sA, slwm::PANEL_Q, 1024);
    float d1[64], d2[36], d3[32];
    slwg::fence();
    slwg::mma_ss_tt_n128(d1, dA, slwm::desc_mn(sB, swap ? 1024 : slwm::PANEL_K, swap ? slwm::PANEL_K : 1024), 0);
    slwg::mma_ss_tn_n64(d3, dA, slwm::desc_k(sX), 0);
    for (int kk = 0; kk < 128; kk += 16)
        slwg::mma_ss_n72(d2, slwm::desc_k(sX + (kk >> 6) * slwm::PANEL_Q + (kk & 63) * 2),
                         slwm::desc_k(sY + (kk >> 6) * slwm::PANEL_K + (kk & 63) * 2), kk > 0);
    slwg::commit();
    slwg::wait<0>();
    for (int j = 0; j < 16; ++j)
        for (int e = 0; e < 4; ++e) D1[(r0 + 8 * (e >> 1)) * 128 + 8 * j + 2 * q4 + (e & 1)] = d1[4 * j + e];
    for (int j = 0; j < 9; ++j)
        for (int e = 0; e < 4; ++e) D2[(r0 + 8 * (e >> 1)) * 72 + 8 * j + 2 * q4 + (e & 1)] = d2[4 * j + e];
    for (int j = 0; j < 8; ++j)
        for (int e = 0; e < 4; ++e) D3[(r0 + 8 * (e >> 1)) * 64 + 8 * j + 2 * q4 + (e & 1)] = d3[4 * j + e];
#endif
}

// wg_unit's inputs and their exact products
struct WgUnit {
    std::vector<float> A, B, X, Y;
    std::vector<double> r1, r2, r3;   // D1, D2, D3
};
inline WgUnit wg_unit_inputs()
{
    auto rnd = [](size_t n, unsigned seed) {
        std::vector<float> x(n);
        for (size_t i = 0; i < n; ++i) { seed = seed * 1664525u + 1013904223u; x[i] = (float)((int)(seed >> 27) - 16) / 8.f; }
        return x;
    };
    WgUnit u{rnd(64 * 16, 1), rnd(16 * 128, 2), rnd(64 * 128, 3), rnd(72 * 128, 4), std::vector<double>(64 * 128, 0.0),
             std::vector<double>(64 * 72, 0.0), std::vector<double>(64 * 64, 0.0)};
    for (int m = 0; m < 64; ++m)
        for (int n = 0; n < 128; ++n)
            for (int kk = 0; kk < 16; ++kk) u.r1[m * 128 + n] += (double)u.A[m * 16 + kk] * u.B[kk * 128 + n];
    for (int m = 0; m < 64; ++m)
        for (int n = 0; n < 72; ++n)
            for (int kk = 0; kk < 128; ++kk) u.r2[m * 72 + n] += (double)u.X[m * 128 + kk] * u.Y[n * 128 + kk];
    for (int m = 0; m < 64; ++m)
        for (int n = 0; n < 64; ++n)
            for (int kk = 0; kk < 16; ++kk) u.r3[m * 64 + n] += (double)u.A[m * 16 + kk] * u.X[n * 128 + kk];
    return u;
}
// Prints the errors of one run (swap 0: the kernel's form) and returns whether they are what they must be
inline bool wg_unit_verdict(const WgUnit& u, const std::vector<float>& h1, const std::vector<float>& h2,
                            const std::vector<float>& h3, int swap)
{
    double e1 = 0, e2 = 0, e3 = 0;
    for (size_t i = 0; i < h1.size(); ++i) e1 = std::max(e1, std::fabs(h1[i] - u.r1[i]) + (h1[i] != h1[i] ? 1e30 : 0));
    for (size_t i = 0; i < h2.size(); ++i) e2 = std::max(e2, std::fabs(h2[i] - u.r2[i]) + (h2[i] != h2[i] ? 1e30 : 0));
    for (size_t i = 0; i < h3.size(); ++i) e3 = std::max(e3, std::fabs(h3[i] - u.r3[i]) + (h3[i] != h3[i] ? 1e30 : 0));
    printf("wgmma unit (B MN-major lbo/sbo %s): state-update form max err %.3g, S form %.3g, P·V form %.3g\n",
           swap ? "1024/panel" : "panel/1024", e1, e2, e3);
    const bool ok = e2 == 0 && e3 == 0 && (swap ? e1 > 0 : e1 == 0);
    if (!ok) printf("FAIL: wgmma unit check (%s form)\n", swap ? "exchanged" : "kernel's");
    return ok;
}
