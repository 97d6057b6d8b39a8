// fp32 SIMT GEMM for Linear layers: y (M, NO) = x (M, K) · w (NO, K)ᵀ + b (NO).
// Glossary: M rows (tokens of all images), K input width, NO output width.
// 64×64 output tile per block of 256 threads, 4×4 per thread, K in steps of 16; fp32 accumulation.
// (The default mode must stay at fp32 accuracy, so no TF32/BF16 tensor cores here.) gemm_nt below
// is the small-shape kernel; gemm_nt128_* the large-shape one.
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

// The same product with a 128×128 output tile per block of 256 threads (8×8 per thread: two 4-wide
// row groups 64 apart and two 4-wide column groups, so the float4 reads of the k-major shared tiles
// are conflict-free), K in steps of 8, double-buffered shared memory with a register prefetch of the
// next step. Twice the arithmetic per shared load of gemm_nt; used when its blocks fill the GPU.
// _vec needs K % 4 == 0 (float4 row loads); _any loads elements. Both zero-fill past M, NO and K.
namespace slg {
constexpr int BM = 128, BN = 128, BK = 8, PAD = 4;

template <bool VEC>
__device__ __forceinline__ void gemm128(const float* __restrict__ x, const float* __restrict__ w,
                                        const float* __restrict__ bias, float* __restrict__ y, int M, int NO, int K)
{
    __shared__ __align__(16) float As[2][BK][BM + PAD];
    __shared__ __align__(16) float Bs[2][BK][BN + PAD];
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int lr = tid >> 1, lk = (tid & 1) * 4;          // loader: row lr, k lk .. lk+3
    float ra[4], rb[4];
    auto load = [&](int k0) {
        const int gm = m0 + lr, gn = n0 + lr, kc = k0 + lk;
        if (VEC) {
            float4 va = make_float4(0.f, 0.f, 0.f, 0.f), vb = va;
            if (gm < M && kc < K) va = *reinterpret_cast<const float4*>(x + (size_t)gm * K + kc);
            if (gn < NO && kc < K) vb = *reinterpret_cast<const float4*>(w + (size_t)gn * K + kc);
            ra[0] = va.x; ra[1] = va.y; ra[2] = va.z; ra[3] = va.w;
            rb[0] = vb.x; rb[1] = vb.y; rb[2] = vb.z; rb[3] = vb.w;
        } else {
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                ra[q] = (gm < M && kc + q < K) ? x[(size_t)gm * K + kc + q] : 0.f;
                rb[q] = (gn < NO && kc + q < K) ? w[(size_t)gn * K + kc + q] : 0.f;
            }
        }
    };
    auto store = [&](int st) {
#pragma unroll
        for (int q = 0; q < 4; ++q) { As[st][lk + q][lr] = ra[q]; Bs[st][lk + q][lr] = rb[q]; }
    };

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;

    const int nk = (K + BK - 1) / BK;
    load(0);
    store(0);
    __syncthreads();
    for (int t = 0; t < nk; ++t) {
        const int st = t & 1;
        if (t + 1 < nk) load((t + 1) * BK);
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            const float4 a0 = *reinterpret_cast<const float4*>(&As[st][kk][ty * 4]);
            const float4 a1 = *reinterpret_cast<const float4*>(&As[st][kk][64 + ty * 4]);
            const float4 b0 = *reinterpret_cast<const float4*>(&Bs[st][kk][tx * 4]);
            const float4 b1 = *reinterpret_cast<const float4*>(&Bs[st][kk][64 + tx * 4]);
            const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; ++i)
#pragma unroll
                for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (t + 1 < nk) store(st ^ 1);   // that stage was last read before the previous barrier
        __syncthreads();
    }

    const bool vecOut = (NO % 4) == 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
        const int gm = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (gm >= M) continue;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int gn = n0 + h * 64 + tx * 4;
            float v[4];
#pragma unroll
            for (int q = 0; q < 4; ++q) v[q] = acc[i][h * 4 + q] + ((bias && gn + q < NO) ? bias[gn + q] : 0.f);
            if (vecOut && gn + 3 < NO) {
                *reinterpret_cast<float4*>(y + (size_t)gm * NO + gn) = make_float4(v[0], v[1], v[2], v[3]);
            } else {
#pragma unroll
                for (int q = 0; q < 4; ++q) if (gn + q < NO) y[(size_t)gm * NO + gn + q] = v[q];
            }
        }
    }
}
}  // namespace slg

extern "C" __global__ void __launch_bounds__(256) gemm_nt128_vec(const float* x, const float* w, const float* bias, float* y,
                                                                 int M, int NO, int K)
{
    slg::gemm128<true>(x, w, bias, y, M, NO, K);
}

extern "C" __global__ void __launch_bounds__(256) gemm_nt128_any(const float* x, const float* w, const float* bias, float* y,
                                                                 int M, int NO, int K)
{
    slg::gemm128<false>(x, w, bias, y, M, NO, K);
}
