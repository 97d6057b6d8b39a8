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

// out[r, j] = in[r, from + j], j < W: channels [from, from + W) of rows of C floats (a split of a projection
// output). A warp per row, lanes along it: reads and writes coalesce and no thread divides by W (the first,
// flat version did a 64-bit division per element).
extern "C" __global__ void columns_f32(const float* __restrict__ in, float* __restrict__ out, long long rows, int C, int from, int W)
{
    const int lane = threadIdx.x & 31;
    const long long warps = ((long long)gridDim.x * blockDim.x) >> 5;
    for (long long r = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warps) {
        const float* src = in + r * C + from;
        float* dst = out + r * W;
        for (int j = lane; j < W; j += 32) dst[j] = src[j];
    }
}

// Rows of axis 1 by position: gather out[b, j, :] = x[b, idx[j], :]; scatter x[b, idx[j], :] = rows[b, j, :]
// (in place; the host checks that the positions are distinct). x is (B, L, W), rows (B, n, W).
extern "C" __global__ void gather_axis1(const float* __restrict__ x, float* __restrict__ out, const int* __restrict__ idx,
                                        int B, int L, int n, long long W)
{
    const long long total = (long long)B * n * W;
    SL_GRID_STRIDE(i, total) {
        const long long r = i / W, w = i - r * W;
        const long long b = r / n, j = r - b * n;
        out[i] = x[(b * L + idx[j]) * W + w];
    }
}

extern "C" __global__ void scatter_axis1(float* __restrict__ x, const float* __restrict__ rows, const int* __restrict__ idx,
                                         int B, int L, int n, long long W)
{
    const long long total = (long long)B * n * W;
    SL_GRID_STRIDE(i, total) {
        const long long r = i / W, w = i - r * W;
        const long long b = r / n, j = r - b * n;
        x[(b * L + idx[j]) * W + w] = rows[i];
    }
}

// Column sums of x (B, L, D) in fp64 over segments of seg tokens: part (B, S, D), S = gridDim.y, segment s
// covering tokens [s·seg, min(L, (s + 1)·seg)). sum_fold_f64 (or the host) adds the S partial sums in order
// (a model's running mean over a long sequence, spec ops §2). grid (⌈D/blockDim.x⌉, S, B).
extern "C" __global__ void sum_axis1_f64(const float* __restrict__ x, double* __restrict__ part, int L, int D, int seg)
{
    const int c = blockIdx.x * blockDim.x + threadIdx.x, s = blockIdx.y, b = blockIdx.z;
    if (c >= D) return;
    const int t0 = s * seg, t1 = min(L, t0 + seg);
    const float* p = x + (size_t)b * L * D + c;
    double a0 = 0.0, a1 = 0.0;   // two chains: the loads of the next token overlap the adds
    int t = t0;
    for (; t + 1 < t1; t += 2) {
        a0 += p[(size_t)t * D];
        a1 += p[(size_t)(t + 1) * D];
    }
    if (t < t1) a0 += p[(size_t)t * D];
    part[((size_t)b * gridDim.y + s) * D + c] = a0 + a1;
}

// acc (B, D) += the S partial sums part (B, S, D) of sum_axis1_f64, added in segment order (the order the
// host loop adds them in, so the sums do not depend on where they are kept). One thread per (b, c).
extern "C" __global__ void sum_fold_f64(const double* __restrict__ part, double* __restrict__ acc, int S, int D, int B)
{
    const long long total = (long long)B * D;
    SL_GRID_STRIDE(i, total) {
        const long long b = i / D, c = i - b * D;
        double a = acc[i];
        for (int s = 0; s < S; s++) a += part[(b * S + s) * D + c];
        acc[i] = a;
    }
}
