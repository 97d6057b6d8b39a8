// Accumulator fragments of the mma.sync GEMMs (gemm_mma.cuh, gemm_tf32.cuh): zeroed, and written to
// y (M, NO) with the bias, bounds-checked (the epilogue).
#pragma once

namespace sl {
// Zeroes a warp's m16n8 accumulator fragments (MI × NJ of them).
template <int MI, int NJ>
__device__ __forceinline__ void zero_mma_tiles(float (&acc)[MI][NJ][4])
{
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NJ; ++j)
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[i][j][c] = 0.f;
}

// Fragment (i, j) covers rows row0 + 16i .. +15 and columns col0 + 8j .. +7; lane (g = lane / 4,
// q = lane % 4) holds c0, c1 at (row g, columns 2q, 2q + 1) and c2, c3 at (row g + 8, the same columns).
template <int MI, int NJ>
__device__ __forceinline__ void store_mma_tiles(const float (&acc)[MI][NJ][4], float* __restrict__ y,
                                                const float* __restrict__ bias, int M, int NO, int row0, int col0, int lane)
{
    const int g = lane >> 2, q = lane & 3;
    const bool pair = (NO & 1) == 0;   // float2 stores need even rows
#pragma unroll
    for (int j = 0; j < NJ; ++j) {
        const int gn = col0 + j * 8 + 2 * q;
        const float b0 = (bias && gn < NO) ? bias[gn] : 0.f, b1 = (bias && gn + 1 < NO) ? bias[gn + 1] : 0.f;
#pragma unroll
        for (int i = 0; i < MI; ++i) {
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const int gm = row0 + i * 16 + g + 8 * h;
                if (gm >= M) continue;
                float* row = y + (size_t)gm * NO;
                const float v0 = acc[i][j][2 * h] + b0, v1 = acc[i][j][2 * h + 1] + b1;
                if (pair && gn + 1 < NO) {
                    *reinterpret_cast<float2*>(row + gn) = make_float2(v0, v1);
                } else {
                    if (gn < NO) row[gn] = v0;
                    if (gn + 1 < NO) row[gn + 1] = v1;
                }
            }
        }
    }
}
}  // namespace sl
