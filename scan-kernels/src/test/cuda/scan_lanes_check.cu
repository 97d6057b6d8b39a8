// Standalone check and benchmark of the scan kernels on a GPU machine without Java: the single-pass
// state-parallel kernels (scan_lanes.cuh) against a float64 host reference on awkward shapes, then
// both scan paths (chunk-parallel selective_scan.cuh and lanes) timed on the issue's vision shapes.
// Build and run: run-scan-check.sh scan_lanes OUT_DIR [--quick] (nvcc on the GPU machine).
//
// Glossary: B batch, L tokens, E channels (H·P for SSD), N state size, H heads, P head dim, G groups.
// "% of copy BW" = bytes an ideal kernel moves (every input once, the output once) / time / measured
// copy bandwidth (float4 copy kernel, read + write).
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
// Variants compared here (name: n{NS}_s{SPT}_t{threads}_p{stages}); the backend's fatbin has only
// the one CudaOps launches.
#define SL_LANES_VARIANTS \
    SL_LANES_INSTANCE(8, 2, 64, 8) \
    SL_LANES_INSTANCE(16, 1, 64, 3) SL_LANES_INSTANCE(16, 1, 64, 8) SL_LANES_INSTANCE(16, 1, 128, 8) \
    SL_LANES_INSTANCE(16, 2, 64, 8) SL_LANES_INSTANCE(16, 4, 64, 3) SL_LANES_INSTANCE(16, 4, 64, 6) \
    SL_LANES_INSTANCE(64, 2, 128, 6) SL_LANES_INSTANCE(64, 4, 128, 3) SL_LANES_INSTANCE(64, 4, 128, 5)
#include "../../main/cuda/scan_lanes.cuh"
#include "../../main/cuda/bench_util.cuh"
#include "scan_check_util.cuh"

typedef void (*LanesFn)(SL_LANES_ARGS);
struct Variant { const char* name; int ns, spt, th; bool ssd; LanesFn fn; int smem; };

#define V(NS, SPT, TH, ST) \
    {"ss_lanes_n" #NS "_s" #SPT "_t" #TH "_p" #ST, NS, SPT, TH, false, ss_lanes_n##NS##_s##SPT##_t##TH##_p##ST, sl::lanes_smem_bytes<NS, SPT, TH, ST>()}, \
    {"ssd_lanes_n" #NS "_s" #SPT "_t" #TH "_p" #ST, NS, SPT, TH, true, ssd_lanes_n##NS##_s##SPT##_t##TH##_p##ST, sl::lanes_smem_bytes<NS, SPT, TH, ST>()}
static Variant VARIANTS[] = {V(8, 2, 64, 8), V(16, 1, 64, 3), V(16, 1, 64, 8), V(16, 1, 128, 8), V(16, 2, 64, 8),
                             V(16, 4, 64, 3), V(16, 4, 64, 6), V(64, 2, 128, 6), V(64, 4, 128, 3), V(64, 4, 128, 5)};

static void launch_lanes(const Variant& v, const float* u, const float* dl, const float* a, const float* bm,
                         const float* cm, const float* d, const float* z, const float* db, int sp, float* h, float* y,
                         int b, int l, int e, int n, int heads, int g)
{
    const int cpb = v.th * v.spt / v.ns;
    const int eg = e / g;
    dim3 grid(g * ((eg + cpb - 1) / cpb), b);
    v.fn<<<grid, v.th, v.smem>>>(u, dl, a, bm, cm, d, z, db, sp, h, y, l, e, n, heads, g);
}

static int failures = 0, checks = 0;
static FILE* jsonf;

// One correctness case: every lanes variant whose width fits N, plus the chunked path.
static void check_case(bool ssd, int b, int l, int e, int n, int heads, int g, bool withZD, bool sp)
{
    int nd = ssd ? heads : e;
    auto u = rnd((size_t)b * l * e, -1, 1), dl = sp ? rnd((size_t)b * l * nd, -3, 1) : rnd((size_t)b * l * nd, 0.01f, 1);  // no softplus: δ > 0
    auto a = ssd ? rnd(heads, -2, -0.2f) : rnd((size_t)e * n, -2, -0.05f);
    auto bm = rnd((size_t)b * l * g * n, -1, 1), cm = rnd((size_t)b * l * g * n, -1, 1);
    auto d = rnd(nd, -1, 1), z = rnd((size_t)b * l * e, -2, 2), db = rnd(nd, -0.5f, 0.5f);
    auto h0 = rnd((size_t)b * e * n, -1, 1);
    if (l > 3) dl[3] = 25.f;   // past the softplus threshold
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(ssd, u, dl, a, bm, cm, withZD ? &d : nullptr, (withZD && !ssd) ? &z : nullptr, db, sp, hw, yw, b, l, e, n, heads, g);
    float *du = dev(u), *ddl = dev(dl), *da = dev(a), *dbm = dev(bm), *dcm = dev(cm), *dd = dev(d), *dz = dev(z), *ddb = dev(db);
    float *dh, *dy, *hloc, *sdel;
    CK(cudaMalloc(&dh, h0.size() * 4)); CK(cudaMalloc(&dy, std::max<size_t>(4, yw.size() * 4)));
    CK(cudaMalloc(&hloc, (size_t)4 * b * e * n * 1024 + 4)); CK(cudaMalloc(&sdel, (size_t)4 * b * e * 1024 + 4));
    auto run = [&](const char* name, auto launch) {
        double ey, eh;
        const bool ok = checked_launch(launch, dh, dy, h0, hw, yw, 2e-5, ey, eh);   // fp32 vs fp64 over <= 300 tokens
        ++checks; if (!ok) ++failures;
        printf("%s %-22s %s B%d L%d E%d N%d H%d G%d %s: out %.2e state %.2e\n", ok ? "ok  " : "FAIL", name,
               ssd ? "ssd" : "ss ", b, l, e, n, heads, g, withZD ? "z/D" : "-", ey, eh);
    };
    const float* zp = (withZD && !ssd) ? dz : nullptr;
    const float* dp = withZD ? dd : nullptr;
    run("chunked", [&] { launch_chunked(ssd, du, ddl, da, dbm, dcm, dp, zp, ddb, sp, dh, dy, b, l, e, n, heads, g, hloc, sdel); });
    for (auto& v : VARIANTS)
        if (v.ssd == ssd && v.ns == ns_of(n))
            run(v.name, [&] { launch_lanes(v, du, ddl, da, dbm, dcm, dp, zp, ddb, sp, dh, dy, b, l, e, n, heads, g); });
    for (float* p : {du, ddl, da, dbm, dcm, dd, dz, ddb, dh, dy, hloc, sdel}) cudaFree(p);
}


static void bench(bool ssd, int b, int l, int e, int n, int heads)
{
    int g = 1;
    double act = (double)b * l * e, bc = (double)b * l * n;
    double bytes = ssd ? 4 * (2 * act + 2 * bc + (double)b * l * heads) : 4 * (4 * act + 2 * bc);
    char shape[96];
    if (ssd) snprintf(shape, sizeof shape, "B%d L%d H%d P%d N%d", b, l, heads, e / heads, n);
    else snprintf(shape, sizeof shape, "B%d L%d E%d N%d", b, l, e, n);
    const float* z = ssd ? nullptr : bz;
    auto report = [&](const char* path, float ms) {
        report_timing(jsonf, ssd ? "ssd" : "selective_scan", shape, path, bytes, b * (double)l, ms);
    };
    report("chunked", time_ms([&] { launch_chunked(ssd, bu, bdl, ba, bbm, bcm, bd, z, bdb, 1, bh, by, b, l, e, n, heads, g, bhloc, bsdel); }));
    for (auto& v : VARIANTS)
        if (v.ssd == ssd && v.ns == ns_of(n))
            report(v.name, time_ms([&] { launch_lanes(v, bu, bdl, ba, bbm, bcm, bd, z, bdb, 1, bh, by, b, l, e, n, heads, g); }));
}

int main(int argc, char** argv)
{
    jsonf = fopen(argc > 1 ? argv[1] : "scan_lanes.json", "w");
    cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
    sm_count = prop.multiProcessorCount;
    printf("device: %s, %d SMs\n", prop.name, sm_count);
    for (auto& v : VARIANTS) CK(cudaFuncSetAttribute(v.fn, cudaFuncAttributeMaxDynamicSharedMemorySize, v.smem));

    const bool profile = argc > 2 && std::string(argv[2]) == "--profile";   // one B1 L64K E1536 N16 launch per path, for ncu
    if (profile) {
        size_t act = (size_t)1536 << 16, bcn = (size_t)16 << 16;
        float *u, *dl, *z, *y, *bm, *cm, *a, *d, *db, *h, *hl, *sd;
        for (float** p : {&u, &dl, &z, &y}) CK(cudaMalloc(p, act * 4));
        for (float** p : {&bm, &cm}) CK(cudaMalloc(p, bcn * 4));
        for (float** p : {&a, &h}) CK(cudaMalloc(p, 1536 * 16 * 4));
        for (float** p : {&d, &db}) CK(cudaMalloc(p, 1536 * 4));
        CK(cudaMalloc(&hl, (size_t)4 << 26)); CK(cudaMalloc(&sd, (size_t)4 << 22));
        fill_uniform<<<4096, 256>>>(u, (long long)act, 1, -1, 1); fill_uniform<<<4096, 256>>>(dl, (long long)act, 2, -4, -1);
        fill_uniform<<<4096, 256>>>(a, 1536 * 16, 6, -2, -0.1f);
        launch_chunked(false, u, dl, a, bm, cm, d, z, db, 1, h, y, 1, 1 << 16, 1536, 16, 1536, 1, hl, sd);
        for (auto& v : VARIANTS)
            if (!v.ssd && v.ns == 16) launch_lanes(v, u, dl, a, bm, cm, d, z, db, 1, h, y, 1, 1 << 16, 1536, 16, 1536, 1);
        CK(cudaDeviceSynchronize());
        return 0;
    }
    // correctness: b, l, e, n, withZD, softplus (ss) and b, l, heads, p, g, n (ssd)
    int ss[][6] = {{1, 1, 8, 4, 1, 1}, {2, 7, 48, 16, 1, 1}, {3, 130, 33, 64, 1, 1}, {1, 300, 40, 5, 0, 1},
                   {1, 31, 16, 16, 1, 1}, {1, 33, 16, 16, 1, 1}, {2, 65, 24, 16, 1, 0}, {1, 200, 130, 64, 1, 1},
                   {2, 97, 20, 16, 0, 1}, {1, 129, 8, 8, 1, 1}, {1, 64, 36, 16, 1, 1}, {2, 33, 7, 13, 1, 1}};
    for (auto& c : ss) check_case(false, c[0], c[1], c[2], c[3], c[2], 1, c[4], c[5]);
    int sd[][6] = {{1, 1, 2, 16, 1, 16}, {2, 37, 4, 8, 2, 64}, {1, 257, 3, 5, 1, 16}, {2, 100, 8, 16, 1, 64},
                   {1, 65, 2, 32, 1, 8}, {1, 70, 6, 12, 3, 16}};
    for (auto& c : sd) check_case(true, c[0], c[1], c[2] * c[3], c[5], c[2], c[4], true, true);
    printf("correctness: %d checks, %d failed\n", checks, failures);
    if (failures) return 1;

    alloc_bench_buffers(64);
    measure_copy_bandwidth(jsonf);
    bool quick = argc > 2 && std::string(argv[2]) == "--quick";
    int es[] = {384, 768, 1536};
    for (int n : {16, 64}) {
        for (int e : es) {
            if (quick && e != 1536) continue;
            bench(false, 1, 1 << 20, e, n, e);
            bench(false, 1, 1 << 16, e, n, e);
            if (!quick) { bench(false, 8, 1 << 16, e, n, e); bench(false, 64, 4096, e, n, e); bench(false, 1, 4096, e, n, e); }
        }
    }
    for (int n : {16, 64}) {
        bench(true, 1, 1 << 20, 1536, n, 24);
        if (!quick) { bench(true, 8, 1 << 16, 1536, n, 24); bench(true, 64, 4096, 1536, n, 24); bench(true, 1, 1 << 20, 768, n, 12); }
    }
    fclose(jsonf);
    return 0;
}
