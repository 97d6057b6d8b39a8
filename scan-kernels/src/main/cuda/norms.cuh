// Normalizations over groups of channels (spec ops §5): one warp per (row, group).
// Glossary: R rows (all leading axes flattened), C channels, GS group size (C for a plain norm).
#pragma once

// LayerNorm per group, then per-channel affine (gamma, beta may be null). Two passes over the group
// (mean, then centered variance) for accuracy.
extern "C" __global__ void group_layernorm(const float* x, float* y, const float* gamma, const float* beta,
                                           long long rows, int C, int gs, float eps)
{
    const long long gw = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    const int ng = C / gs;
    if (gw >= rows * ng) return;
    const long long r = gw / ng;
    const int g0 = (int)(gw % ng) * gs;
    const float* xr = x + r * C + g0;
    float s = 0.f;
    for (int i = lane; i < gs; i += 32) s += xr[i];
    const float mean = sl_warp_sum(s) / gs;
    float v = 0.f;
    for (int i = lane; i < gs; i += 32) { const float d = xr[i] - mean; v = fmaf(d, d, v); }
    const float inv = rsqrtf(sl_warp_sum(v) / gs + eps);
    for (int i = lane; i < gs; i += 32) {
        float o = (xr[i] - mean) * inv;
        if (gamma) o *= gamma[g0 + i];
        if (beta) o += beta[g0 + i];
        y[r * C + g0 + i] = o;
    }
}

// RMS normalization per group with optional weight; with zg non-null the input is first gated,
// g = x·silu(zg) (gated RMSNorm, norm_before_gate = false).
extern "C" __global__ void group_rms(const float* x, const float* zg, float* y, const float* w,
                                     long long rows, int C, int gs, float eps)
{
    const long long gw = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    const int ng = C / gs;
    if (gw >= rows * ng) return;
    const long long r = gw / ng;
    const int g0 = (int)(gw % ng) * gs;
    const float* xr = x + r * C + g0;
    const float* zr = zg ? zg + r * C + g0 : nullptr;
    float s = 0.f;
    for (int i = lane; i < gs; i += 32) {
        const float g = zr ? xr[i] * sl_silu(zr[i]) : xr[i];
        s = fmaf(g, g, s);
    }
    const float inv = rsqrtf(sl_warp_sum(s) / gs + eps);
    for (int i = lane; i < gs; i += 32) {
        const float g = zr ? xr[i] * sl_silu(zr[i]) : xr[i];
        y[r * C + g0 + i] = g * inv * (w ? w[g0 + i] : 1.f);
    }
}
