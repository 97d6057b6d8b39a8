// Elementwise ops and ViL's block-diagonal LinearHeadwiseExpand (spec ops §4.2).
// Glossary: n elements, C channels (last axis), R rows, E width (multiple of 4).
#pragma once

#define SL_GRID_STRIDE(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
                                  i += (long long)gridDim.x * blockDim.x)

extern "C" __global__ void ew_silu(const float* x, float* y, long long n) { SL_GRID_STRIDE(i, n) y[i] = sl_silu(x[i]); }

// tanhf, not an approximation: --use_fast_math leaves it alone (the MLP head's hidden activation).
extern "C" __global__ void ew_tanh(const float* x, float* y, long long n) { SL_GRID_STRIDE(i, n) y[i] = tanhf(x[i]); }

extern "C" __global__ void ew_mul(const float* a, const float* b, float* y, long long n) { SL_GRID_STRIDE(i, n) y[i] = a[i] * b[i]; }

// y = a·s + b·t (b may be null).
extern "C" __global__ void ew_axpby(const float* a, float s, const float* b, float t, float* y, long long n)
{
    SL_GRID_STRIDE(i, n) y[i] = b ? fmaf(a[i], s, b[i] * t) : a[i] * s;
}

// y = a ⊙ v with v (C) broadcast over the leading axes.
extern "C" __global__ void ew_mulch(const float* a, const float* v, float* y, long long n, int C)
{
    SL_GRID_STRIDE(i, n) y[i] = a[i] * v[i % C];
}

// y[4j+o] = Σ_d w[j, o, d]·x[4j+d] + b[4j+o]; one thread per output.
extern "C" __global__ void headwise_linear(const float* x, const float* w, const float* b, float* y, long long rows, int E)
{
    const long long n = rows * E;
    SL_GRID_STRIDE(i, n) {
        const int e = (int)(i % E);
        const int j = e / 4, o = e % 4;
        const float* xr = x + (i - e) + 4 * j;
        const float* wr = w + ((size_t)j * 4 + o) * 4;
        float acc = b ? b[e] : 0.f;
#pragma unroll
        for (int d = 0; d < 4; ++d) acc = fmaf(wr[d], xr[d], acc);
        y[i] = acc;
    }
}

// out[b, L−1−t, :] = in[b, t, :]: token order reversed for backward scans; W floats per token.
extern "C" __global__ void flip_axis1(const float* __restrict__ in, float* __restrict__ out, int B, int L, long long W)
{
    const long long n = (long long)B * L * W;
    SL_GRID_STRIDE(i, n) {
        const long long r = i / W, w = i - r * W;
        const long long b = r / L, t = r - b * L;
        out[(b * L + (L - 1 - t)) * W + w] = in[i];
    }
}
