// Standalone check and benchmark of the tensor-core SSD (ssd_mma.cuh, an experiment beside this file) on
// a GPU machine without Java: against a float64 host reference on awkward shapes (output and final state
// from a random nonzero state), then timed next to the segment SSD (ssd_seg.cuh, launched as CudaOps
// launches it).
// Build and run: run-scan-check.sh ssd_mma OUT_DIR [--ncu] (nvcc on the GPU machine).
//
// Glossary: B batch, L tokens, H heads, P head dim, E = H·P, N state size (<= 16 here), G groups of
// B/C rows. "% of copy BW" = bytes an ideal kernel moves (x, dt, B, C read once, y written once) /
// time / measured copy bandwidth (float4 copy kernel, read + write).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <string>
#include <algorithm>
#include <cuda_runtime.h>

#include "../../main/cuda/common.cuh"
#include "../../main/cuda/elementwise.cuh"
#include "../../main/cuda/selective_scan.cuh"
#define SL_SEG_VARIANTS SL_SEG_INSTANCE(16, 32, 4, 16, 4)
#include "../../main/cuda/ssd_seg.cuh"
#define SL_SSDMMA_VARIANTS SL_SSDMMA_INSTANCE(4, 8, 4) SL_SSDMMA_INSTANCE(4, 16, 2) SL_SSDMMA_INSTANCE(2, 16, 6) \
    SL_SSDMMA_INSTANCE(8, 8, 2) SL_SSDMMA_INSTANCE(2, 8, 8)
#include "ssd_mma.cuh"
#include "../../main/cuda/bench_util.cuh"
#include "ssd_seg_util.cuh"

static const SegVariant SEG = SEG_V(16, 32, 4, 16);

typedef void (*MmaFn)(SL_SSDMMA_ARGS);
struct MmaVariant { const char* name; MmaFn fn; int threads, pb, smem; };
#define MMA_V(NWV, CWV) {"mma_w" #NWV "_c" #CWV, ssd_mma_w##NWV##_c##CWV, 32 * NWV, NWV * CWV, slssd::MmaLayout<NWV, CWV>::BYTES}
static const MmaVariant MVARS[] = {MMA_V(4, 8), MMA_V(4, 16), MMA_V(2, 16), MMA_V(8, 8), MMA_V(2, 8)};
static const int NMVARS = 5;

static void launch_mma(const MmaVariant& v, const float* x, const float* dt, const float* a, const float* bm, const float* cm,
                       const float* d, const float* db, int sp, float* h, float* y, int b, int l, int heads, int p, int n, int g)
{
    dim3 grid(heads * ((p + v.pb - 1) / v.pb), b);
    v.fn<<<grid, v.threads, v.smem>>>(x, dt, a, bm, cm, d, db, sp, h, y, l, heads * p, n, heads, g);
}

static int mma_blocks_per_sm(const MmaVariant& v) {
    int k = 0;
    CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&k, v.fn, v.threads, v.smem));
    return k;
}

static FILE* jsonf;
static FILE* checkf;

static void check_case(int b, int l, int heads, int p, int n, int g, bool withD, bool sp, double tol, float aLo = -2.f)
{
    const int e = heads * p;
    auto x = rnd((size_t)b * l * e, -1, 1), dt = sp ? rnd((size_t)b * l * heads, -3, 1) : rnd((size_t)b * l * heads, 0.01f, 1);
    auto a = rnd(heads, aLo, -0.05f);
    auto bm = rnd((size_t)b * l * g * n, -1, 1), cm = rnd((size_t)b * l * g * n, -1, 1);
    auto d = rnd(heads, -1, 1), db = rnd(heads, -0.5f, 0.5f);
    auto h0 = rnd((size_t)b * e * n, -1, 1);
    if (l > 3) dt[3 * heads] = 25.f;   // past the softplus threshold (a large δ without softplus)
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(true, x, dt, a, bm, cm, withD ? &d : nullptr, nullptr, db, sp, hw, yw, b, l, e, n, heads, g);
    float *dx = dev(x), *ddt = dev(dt), *da = dev(a), *dbm = dev(bm), *dcm = dev(cm), *dd = dev(d), *ddb = dev(db);
    float *dh, *dy;
    CK(cudaMalloc(&dh, h0.size() * 4)); CK(cudaMalloc(&dy, std::max<size_t>(4, yw.size() * 4)));
    const float* dp = withD ? dd : nullptr;
    for (int vi = 0; vi < NMVARS; ++vi) {
        const MmaVariant& v = MVARS[vi];
        double ey, eh;
        const bool ok = checked_launch([&] { launch_mma(v, dx, ddt, da, dbm, dcm, dp, ddb, sp, dh, dy, b, l, heads, p, n, g); },
                                       dh, dy, h0, hw, yw, tol, ey, eh);
        record(v.name, ok, ey, eh);
        fprintf(checkf, "%s %-14s B%d L%d H%d P%d N%d G%d %s %s A>=%.0f: out %.2e state %.2e (tol %.0e)\n", ok ? "ok  " : "FAIL",
                v.name, b, l, heads, p, n, g, withD ? "D" : "-", sp ? "softplus" : "linear  ", aLo, ey, eh, tol);
        if (!ok) printf("FAIL %s B%d L%d H%d P%d N%d G%d D%d sp%d: out %.2e state %.2e\n", v.name, b, l, heads, p, n, g, withD, sp, ey, eh);
    }
    for (float* q : {dx, ddt, da, dbm, dcm, dd, ddb, dh, dy}) cudaFree(q);
}

static void bench(int b, int l, int heads, int p, int n)
{
    const int g = 1, e = heads * p;
    double bytes = 4.0 * (2.0 * b * l * e + (double)b * l * heads + 2.0 * b * l * g * n);
    char shape[96];
    snprintf(shape, sizeof shape, "B%d L%d H%d P%d N%d", b, l, heads, p, n);
    float segMs = 0;
    auto report = [&](const std::string& path, float ms) {
        report_timing(jsonf, "ssd", shape, path.c_str(), bytes, b * (double)l, ms, segMs, "segment");
    };
    segMs = time_ms([&] { launch_seg(SEG, 0, bu, bdl, ba, bbm, bcm, bd, bdb, 1, bh, by, b, l, heads, p, n, g, bhloc, bsdel); });
    report("segment", segMs);
    for (int vi = 0; vi < NMVARS; ++vi)
        report(MVARS[vi].name, time_ms([&] { launch_mma(MVARS[vi], bu, bdl, ba, bbm, bcm, bd, bdb, 1, bh, by, b, l, heads, p, n, g); }));
}

int main(int argc, char** argv)
{
    jsonf = fopen(argc > 1 ? argv[1] : "ssd_mma.json", "w");
    checkf = fopen(argc > 2 ? argv[2] : "ssd_mma_checks.txt", "w");
    cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
    sm_count = prop.multiProcessorCount;
    printf("device: %s, %d SMs\n", prop.name, sm_count);
    CK(cudaFuncSetAttribute(SEG.state, cudaFuncAttributeMaxDynamicSharedMemorySize, SEG.smem));
    CK(cudaFuncSetAttribute(SEG.out, cudaFuncAttributeMaxDynamicSharedMemorySize, SEG.smem));
    for (int vi = 0; vi < NMVARS; ++vi) {
        const MmaVariant& v = MVARS[vi];
        CK(cudaFuncSetAttribute(v.fn, cudaFuncAttributeMaxDynamicSharedMemorySize, v.smem));
        cudaFuncAttributes fa; CK(cudaFuncGetAttributes(&fa, v.fn));
        printf("  %-12s %4d threads, %6d B shared, %3d registers, %zu B local, %d block(s)/SM\n", v.name, v.threads, v.smem,
               fa.numRegs, fa.localSizeBytes, mma_blocks_per_sm(v));
    }
    if (argc > 3 && std::string(argv[3]) == "--profile") {   // one B8 L64K H24 P64 N16 launch per variant, for ncu
        alloc_bench_buffers(16);
        for (int vi = 0; vi < NMVARS; ++vi)
            launch_mma(MVARS[vi], bu, bdl, ba, bbm, bcm, bd, bdb, 1, bh, by, 8, 1 << 16, 24, 64, 16, 1);
        CK(cudaDeviceSynchronize());
        return 0;
    }
    // correctness grid: L around the 32-token chunk, P off every block width (3, 17, 33, 40, 80), N
    // padded (1, 5, 13) and exact (4, 16), G up to 4, softplus and D alternating.
    const SsdCase cases[] = {
        {1, 1, 1, 32, 16, 1}, {1, 2, 2, 8, 16, 1}, {2, 7, 3, 3, 5, 1}, {1, 31, 2, 64, 16, 2}, {1, 32, 2, 64, 16, 1},
        {1, 33, 4, 33, 16, 2}, {3, 63, 2, 64, 4, 1}, {1, 64, 1, 64, 16, 1}, {1, 65, 2, 40, 13, 1}, {2, 200, 4, 64, 16, 4},
        {1, 300, 3, 17, 16, 3}, {2, 513, 2, 64, 16, 1}, {1, 1000, 2, 64, 16, 2}, {1, 97, 2, 80, 1, 1}, {2, 77, 3, 20, 8, 1},
        {1, 300, 2, 128, 16, 2}, {1, 65, 1, 16, 12, 1},
    };
    const int idx = ssd_grid(cases, [](const SsdCase& c, bool withD, bool sp) {
        check_case(c.b, c.l, c.heads, c.p, c.n, c.g, withD, sp, 2e-5);
    });
    check_case(1, 0, 2, 64, 16, 1, true, true, 2e-5);                 // L = 0: the state passes through
    check_case(1, 500, 2, 64, 16, 1, true, true, 2e-5, -40.f);        // strong decays: exp2 of large differences
    check_case(1, 500, 2, 64, 16, 1, false, false, 2e-5, -0.06f);     // weak decays: long memory
    // Long: rounding accumulates over 4097 sequential steps (random walk ~ sqrt(L) · 6e-8 ≈ 4e-6).
    check_case(2, 4097, 3, 64, 16, 1, true, true, 1e-4);
    if (finish_checks(checkf, idx + 4)) return 1;

    alloc_bench_buffers(16);
    measure_copy_bandwidth(jsonf);
    printf("timing (median of 10 after 2 warm-up launches):\n");
    bench(8, 1 << 16, 24, 64, 16);
    bench(16, 1 << 16, 12, 64, 16);
    bench(32, 1 << 16, 6, 64, 16);
    bench(24, 1 << 16, 12, 64, 16);
    bench(64, 4096, 24, 64, 16);
    bench(64, 4096, 6, 64, 16);
    bench(4, 1 << 18, 24, 64, 16);
    bench(1, 1 << 16, 24, 64, 16);
    bench(1, 1 << 20, 24, 64, 16);
    fclose(jsonf);
    return 0;
}
