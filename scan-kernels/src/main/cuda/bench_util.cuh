// Benchmark helpers: on-device random fill (host arrays cannot hold the 10^9-element inputs of the
// long-sequence benchmarks) and a plain copy kernel to measure the device's achievable bandwidth.
#pragma once

namespace sl {
__device__ __forceinline__ unsigned long long splitmix64(unsigned long long x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
}

// Uniform in [lo, hi) from a counter-based hash: same seed, same values, any launch shape.
extern "C" __global__ void fill_uniform(float* p, long long n, unsigned long long seed, float lo, float hi)
{
    SL_GRID_STRIDE(i, n) {
        const unsigned long long r = sl::splitmix64(seed * 0x100000001B3ull + (unsigned long long)i);
        p[i] = lo + (hi - lo) * (float)((r >> 40) * (1.0 / 16777216.0));
    }
}

// One float4 per thread, full grid (no grid-stride loop): the simplest pattern that reaches the
// copy bandwidth the memory system allows.
extern "C" __global__ void copy_f4(const float4* in, float4* out, long long n4)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n4) out[i] = in[i];
}
