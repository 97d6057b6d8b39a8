// Host-side helpers of every standalone CUDA harness (nvcc only, no Java): the error check, seeded
// random inputs, device copies, the relative error of a result against a float64 (or float) reference,
// and the median time of a launch.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>
#include "host_ref.hpp"

#define CK(x) do { cudaError_t err_ = (x); if (err_ != cudaSuccess) { \
    fprintf(stderr, "CUDA %s at %s:%d: %s\n", #x, __FILE__, __LINE__, cudaGetErrorString(err_)); exit(3); } } while (0)

static float* dev(const std::vector<float>& v) {
    float* p; CK(cudaMalloc(&p, std::max<size_t>(4, v.size() * 4)));
    if (!v.empty()) CK(cudaMemcpy(p, v.data(), v.size() * 4, cudaMemcpyHostToDevice));
    return p;
}
static std::vector<float> host(const float* p, size_t n) {
    std::vector<float> v(n);
    if (n) CK(cudaMemcpy(v.data(), p, n * 4, cudaMemcpyDeviceToHost));
    return v;
}
// Median of reps launches after two warm-up launches, by CUDA events.
template <class F>
static float time_ms(F launch, int reps = 10) {
    cudaEvent_t s, t; cudaEventCreate(&s); cudaEventCreate(&t);
    launch(); launch(); CK(cudaDeviceSynchronize());
    std::vector<float> ms;
    for (int i = 0; i < reps; ++i) {
        cudaEventRecord(s); launch(); cudaEventRecord(t); cudaEventSynchronize(t);
        float x; cudaEventElapsedTime(&x, s, t); ms.push_back(x);
    }
    CK(cudaGetLastError());
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}
