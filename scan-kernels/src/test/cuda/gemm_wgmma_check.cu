// Standalone check and timing of the 3xTF32 GEMM on wgmma (gemm_tf32_wgmma.cuh, sm_90a) next to gemm_tf32.cuh's
// mma.sync kernel, on a GPU machine without Java: y (M, NO) = x (M, K) · w (NO, K)ᵀ + b, against a float64 host
// reference on sampled rows (tolerance 1e-5 of max|y|, the conformance suite's), then timings. The no-swizzle builds
// the kernel grew from were in this harness at commit 1c96402 (NOTES.md, "The 3xTF32 GEMM on wgmma").
// Build and run: nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -o /tmp/gw gemm_wgmma_check.cu && /tmp/gw
#include <cstdint>
#include "../../main/cuda/common.cuh"
#include "../../main/cuda/gemm_tf32.cuh"
#include "../../main/cuda/gemm_tf32_wgmma.cuh"
#include "../../main/cuda/elementwise.cuh"   // SL_GRID_STRIDE, used by bench_util.cuh
#include "../../main/cuda/bench_util.cuh"    // fill_uniform
#include "harness_util.cuh"                 // CK, host, time_ms

static void launch_wgmma(const float* x, const float* w, const float* b, float* y, int M, int NO, int K)
{
    gemm_nt_tf32x3_wgmma<<<dim3((NO + 127) / 128, (M + 127) / 128), 256, sltw::SMEM_BYTES>>>(x, w, b, y, M, NO, K);
}
static void launch_old(const float* x, const float* w, const float* b, float* y, int M, int NO, int K)
{
    gemm_nt_tf32x3<<<dim3((NO + 127) / 128, (M + 127) / 128), 256, sltf::SMEM_BYTES>>>(x, w, b, y, M, NO, K);
}

int main()
{
    CK(cudaFuncSetAttribute(gemm_nt_tf32x3_wgmma, cudaFuncAttributeMaxDynamicSharedMemorySize, sltw::SMEM_BYTES));
    CK(cudaFuncSetAttribute(gemm_nt_tf32x3, cudaFuncAttributeMaxDynamicSharedMemorySize, sltf::SMEM_BYTES));
    struct S { int M, NO, K; bool time; };
    const S shapes[] = {{128, 128, 32, false}, {256, 256, 64, false}, {300, 200, 768, false}, {1, 5, 4, false}, {131, 130, 36, false},
                        {5, 260, 3072, false}, {4096, 768, 3072, true}, {65536, 3072, 768, true}, {65536, 768, 3072, true},
                        {16384, 1536, 1536, true}, {8192, 8192, 8192, true}};
    int failed = 0;
    for (const S& s : shapes) {
        const size_t nx = (size_t)s.M * s.K, nw = (size_t)s.NO * s.K, ny = (size_t)s.M * s.NO;
        float *x, *w, *b, *y, *y2;
        CK(cudaMalloc(&x, nx * 4)); CK(cudaMalloc(&w, nw * 4)); CK(cudaMalloc(&b, s.NO * 4));
        CK(cudaMalloc(&y, ny * 4)); CK(cudaMalloc(&y2, ny * 4));
        fill_uniform<<<1024, 256>>>(x, nx, 1, -1, 1); fill_uniform<<<1024, 256>>>(w, nw, 2, -0.2f, 0.2f);
        fill_uniform<<<64, 256>>>(b, s.NO, 3, -1, 1);
        CK(cudaMemset(y, 0xff, ny * 4));
        launch_wgmma(x, w, b, y, s.M, s.NO, s.K);
        CK(cudaGetLastError());
        CK(cudaDeviceSynchronize());
        // reference on up to 64 sampled rows (all rows when fewer), float64
        const std::vector<float> hx = host(x, nx), hw = host(w, nw), hb = host(b, s.NO), hy = host(y, ny);
        double maxref = 0, maxerr = 0;
        const int rows = std::min(s.M, 64);
        for (int ri = 0; ri < rows; ++ri) {
            const int r = (int)((long long)ri * s.M / rows);
            for (int c = 0; c < s.NO; ++c) {
                double acc = hb[c];
                for (int k = 0; k < s.K; ++k) acc += (double)hx[(size_t)r * s.K + k] * hw[(size_t)c * s.K + k];
                maxref = std::max(maxref, std::fabs(acc));
                const double e = std::fabs(hy[(size_t)r * s.NO + c] - acc);
                maxerr = std::isnan(e) ? INFINITY : std::max(maxerr, e);
            }
        }
        const double rel = maxerr / std::max(maxref, 1e-30);
        const bool ok = rel <= 1e-5;
        failed += !ok;
        printf("%s %s M%d K%d N%d: rel err %.2e (tol 1e-5)", ok ? "PASS" : "FAIL", "wgmma", s.M, s.K, s.NO, rel);
        if (s.time) {
            const float tw = time_ms([&] { launch_wgmma(x, w, b, y, s.M, s.NO, s.K); });
            const float to = time_ms([&] { launch_old(x, w, b, y2, s.M, s.NO, s.K); });
            const double fl = 2.0 * s.M * s.NO * s.K;
            printf("  wgmma %.3f ms (%.1f TFLOP/s), mma.sync %.3f ms (%.1f TFLOP/s)", tw, fl / tw / 1e9, to, fl / to / 1e9);
        }
        printf("\n");
        fflush(stdout);
        cudaFree(x); cudaFree(w); cudaFree(b); cudaFree(y); cudaFree(y2);
    }
    printf("%d failed\n", failed);
    return failed ? 1 : 0;
}
