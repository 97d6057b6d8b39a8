// Causal depthwise conv1d with a carried tail (spec ops §7.1).
// Glossary: B batch, L tokens, C channels, K taps. x, out (B, L, C); w (C, K), w[c, K-1] multiplies
// the current token; tail / newTail (B, K-1, C) = the K-1 inputs before x, oldest first.
#pragma once

extern "C" __global__ void conv1d_causal(const float* x, const float* w, const float* bias, const float* tail,
                                         float* out, int Bsz, int L, int C, int K, int silu)
{
    const size_t total = (size_t)Bsz * L * C;
    const int T = K - 1;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        const int c = (int)(i % C);
        const size_t bt = i / C;
        const int t = (int)(bt % L);
        const int b = (int)(bt / L);
        float acc = bias ? bias[c] : 0.f;
        for (int j = 0; j < K; ++j) {
            const int row = t + j;  // row of concat(tail, x)
            const float xv = row < T ? tail[((size_t)b * T + row) * C + c] : x[((size_t)b * L + row - T) * C + c];
            acc = fmaf(w[(size_t)c * K + j], xv, acc);
        }
        out[i] = silu ? sl_silu(acc) : acc;
    }
}

// New tail = last K-1 rows of concat(tail, x); written to a separate buffer (the old one is an input).
extern "C" __global__ void conv1d_tail(const float* x, const float* tail, float* newTail, int Bsz, int L, int C, int K)
{
    const int T = K - 1;
    const size_t total = (size_t)Bsz * T * C;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    const int c = (int)(i % C);
    const int r = (int)((i / C) % T);
    const int b = (int)(i / ((size_t)C * T));
    const int row = L + r;
    newTail[i] = row < T ? tail[((size_t)b * T + row) * C + c] : x[((size_t)b * L + row - T) * C + c];
}
