// The mLSTM float64 host recurrence (spec ops §10.1, convention D1) and bf16 rounding of inputs, shared
// by the CUDA harness (mlstm_bf16_check.cu) and the CPU warp-emulator check (emu/mlstm_emu.cpp).
// Layouts as mlstm.cuh: q, k, v, h (B, L, NH, DH); ig, fg (B, L, NH); C (B, NH, DH, DH); n (B, NH, DH); m (B, NH).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>
#include <algorithm>
#include "host_ref.hpp"

static void host_mlstm(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                       const std::vector<float>& ig, const std::vector<float>& fg, std::vector<double>& C,
                       std::vector<double>& n, std::vector<double>& m, std::vector<double>& h, int b, int l, int nh, int dh)
{
    h.assign((size_t)b * l * nh * dh, 0.0);
    const double scale = 1.0 / std::sqrt((double)dh);
    std::vector<double> kh(dh);
    for (int bi = 0; bi < b; ++bi)
        for (int hh = 0; hh < nh; ++hh) {
            double* Cs = &C[((size_t)bi * nh + hh) * dh * dh];
            double* ns = &n[((size_t)bi * nh + hh) * dh];
            double& ms = m[(size_t)bi * nh + hh];
            for (int t = 0; t < l; ++t) {
                const size_t gi = ((size_t)bi * l + t) * nh + hh;
                const double f = fg[gi], iv = ig[gi];
                const double lf = std::min(f, 0.0) - std::log1p(std::exp(-std::fabs(f)));
                const double mt = std::max(lf + ms, iv);
                const double fp = std::exp(lf + ms - mt), ip = std::exp(iv - mt);
                const float* qt = &q[gi * dh];
                const float* kt = &k[gi * dh];
                const float* vt = &v[gi * dh];
                for (int i = 0; i < dh; ++i) kh[i] = kt[i] * scale;
                for (int i = 0; i < dh; ++i) {
                    double* row = Cs + (size_t)i * dh;
                    const double a = ip * kh[i];
                    for (int j = 0; j < dh; ++j) row[j] = fp * row[j] + a * vt[j];
                    ns[i] = fp * ns[i] + ip * kh[i];
                }
                ms = mt;
                double den = 0;
                for (int i = 0; i < dh; ++i) den += qt[i] * ns[i];
                den = std::max(std::fabs(den), std::exp(-mt)) + 1e-6;
                double* ht = &h[gi * dh];
                for (int i = 0; i < dh; ++i) {
                    const double qi = qt[i];
                    const double* row = Cs + (size_t)i * dh;
                    for (int j = 0; j < dh; ++j) ht[j] += qi * row[j];
                }
                for (int j = 0; j < dh; ++j) ht[j] /= den;
            }
        }
}

// fp32 -> bf16 -> fp32, round to nearest even (as __float2bfloat16_rn for finite values)
[[maybe_unused]] static float bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    memcpy(&x, &u, 4);
    return x;
}
[[maybe_unused]] static std::vector<float> bf16_round(const std::vector<float>& v) {
    std::vector<float> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[i] = bf16_round(v[i]);
    return r;
}

// Random inputs of one check and their float64 reference: q, k, v in [-1, 1], gates ĩ in [-3, 3] and
// f̃ in [-1, 4]; the initial state random (C, n in [-0.5, 0.5], m in [-1, 1]) or fresh (0, 0, −∞).
// Draws from the harnesses' shared generator (host_ref.hpp), in this order.
struct MlstmCase {
    std::vector<float> q, k, v, ig, fg, C0, n0, m0;
    std::vector<double> Cw, nw, mw, hw;   // reference final state and outputs
};
static MlstmCase mlstm_case_inputs(int b, int l, int nh, int dh, bool fresh)
{
    const size_t nx = (size_t)b * l * nh * dh, ng = (size_t)b * l * nh, nC = (size_t)b * nh * dh * dh, nn = (size_t)b * nh * dh;
    MlstmCase c;
    c.q = rnd(nx, -1, 1); c.k = rnd(nx, -1, 1); c.v = rnd(nx, -1, 1);
    c.ig = rnd(ng, -3, 3); c.fg = rnd(ng, -1, 4);
    c.C0.assign(nC, 0.f); c.n0.assign(nn, 0.f); c.m0.assign((size_t)b * nh, -INFINITY);
    if (!fresh) { c.C0 = rnd(nC, -0.5f, 0.5f); c.n0 = rnd(nn, -0.5f, 0.5f); c.m0 = rnd((size_t)b * nh, -1, 1); }
    c.Cw.assign(c.C0.begin(), c.C0.end()); c.nw.assign(c.n0.begin(), c.n0.end()); c.mw.assign(c.m0.begin(), c.m0.end());
    host_mlstm(c.q, c.k, c.v, c.ig, c.fg, c.Cw, c.nw, c.mw, c.hw, b, l, nh, dh);
    return c;
}
