// fp32 SIMT GEMM for Linear layers: y (M, NO) = x (M, K) · w (NO, K)ᵀ + b (NO).
// Glossary: M rows (tokens of all images), K input width, NO output width.
// 64×64 output tile per block of 256 threads, 4×4 per thread, K in steps of 16; fp32 accumulation.
// (The default mode must stay at fp32 accuracy, so no TF32/BF16 tensor cores here.)
#pragma once

extern "C" __global__ void __launch_bounds__(256) gemm_nt(const float* x, const float* w, const float* bias, float* y,
                                                          int M, int NO, int K)
{
    __shared__ float As[16][64 + 4];
    __shared__ float Bs[16][64 + 4];
    const int tid = threadIdx.x;
    const int tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * 64, n0 = blockIdx.x * 64;
    const int lr = tid / 4, lk = (tid % 4) * 4;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
    for (int k0 = 0; k0 < K; k0 += 16) {
#pragma unroll
        for (int qq = 0; qq < 4; ++qq) {
            const int gk = k0 + lk + qq;
            const int gm = m0 + lr, gn = n0 + lr;
            As[lk + qq][lr] = (gm < M && gk < K) ? x[(size_t)gm * K + gk] : 0.f;
            Bs[lk + qq][lr] = (gn < NO && gk < K) ? w[(size_t)gn * K + gk] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < 16; ++kk) {
            float a[4], bb[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) a[i] = As[kk][ty * 4 + i];
#pragma unroll
            for (int j = 0; j < 4; ++j) bb[j] = Bs[kk][tx * 4 + j];
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], bb[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int gm = m0 + ty * 4 + i;
        if (gm >= M) continue;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int gn = n0 + tx * 4 + j;
            if (gn < NO) y[(size_t)gm * NO + gn] = acc[i][j] + (bias ? bias[gn] : 0.f);
        }
    }
}
