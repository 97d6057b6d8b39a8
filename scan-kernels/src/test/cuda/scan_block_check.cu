// Standalone check and benchmark of the single-pass sequence-parallel scan (scan_block.cuh) on a GPU
// machine without Java: against a float64 host reference on awkward shapes (every check compares both
// the output and the final state, starting from a random nonzero state), then timed next to the
// chunk-parallel path (selective_scan.cuh, launched exactly as CudaOps does) on the issue's shapes.
// Build and run: run-scan-check.sh scan_block OUT_DIR [--ncu] (nvcc on the GPU machine).
//
// Glossary: B batch, L tokens, E channels, N state size, G groups of B/C rows, W warps (= channels) per
// block of the new kernel. "% of copy BW" = bytes an ideal kernel moves (u, δ, z, B, C read once, the
// output written once) / time / measured copy bandwidth (float4 copy kernel, read + write).
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
// Builds compared: t384 (W <= 12, one state group per loop body), u2 (two groups per body), t512
// (W = 16, register cap 128).
#define SL_BLOCK_VARIANTS SL_BLOCK_INSTANCE(16, 8, 384) SL_BLOCK_INSTANCE_U2(16, 8, 384) SL_BLOCK_INSTANCE(16, 8, 512)
#include "../../main/cuda/scan_block.cuh"
#include "../../main/cuda/bench_util.cuh"
#include "scan_check_util.cuh"

using BL = sl::BlockLayout<16, 8>;


typedef void (*BlockFn)(SL_BLOCK_ARGS);
struct BlockVariant { const char* name; BlockFn fn; int maxW; };
static const BlockVariant V384 = {"t384", ss_block_n16_k8_t384, 12};
static const BlockVariant VU2 = {"u2", ss_block_n16_k8_t384_u2, 12};
static const BlockVariant V512 = {"t512", ss_block_n16_k8_t512, 16};

static void launch_block(const BlockVariant& v, int wpb, const float* u, const float* dl, const float* a, const float* bm,
                         const float* cm, const float* d, const float* z, const float* db, int sp, float* h, float* y,
                         int b, int l, int e, int n, int g)
{
    const int eg = e / g;
    dim3 grid(g * ((eg + wpb - 1) / wpb), b);
    v.fn<<<grid, 32 * wpb, BL::smem_bytes(wpb)>>>(u, dl, a, bm, cm, d, z, db, sp, h, y, l, e, n, g);
}

static int blocks_per_sm(const BlockVariant& v, int wpb) {
    int n = 0;
    CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, v.fn, 32 * wpb, BL::smem_bytes(wpb)));
    return n;
}
// Blocks run the whole sequence, so the busiest SM sets the time. Model: an SM holding m blocks of W
// warps works at the relative rate f(m·W) (latency-bound below 16 warps; f from B64 L4096 E1536
// timings of an earlier run of this harness, where every W has many waves), and the time is the sum over waves of
// m·W / f(m·W). W is a multiple of 4 (16-byte copies); W = 16 is the 512-thread build.
static double warp_rate(int warps) {
    static const int wp[] = {4, 8, 12, 16};
    static const double fr[] = {0.47, 0.75, 0.91, 1.0};
    if (warps >= 16) return 1.0;
    for (int i = 0; i < 3; ++i)
        if (warps <= wp[i + 1]) return fr[i] + (fr[i + 1] - fr[i]) * (warps - wp[i]) / (double)(wp[i + 1] - wp[i]);
    return 1.0;
}
static int pick_w(int b, int e, int g) {
    int best = 12; double bestCost = 1e300;
    for (int w : {16, 12, 8, 4}) {
        const long long blocks = (long long)b * g * ((e / g + w - 1) / w);
        const int bps = blocks_per_sm(w == 16 ? V512 : V384, w);
        const long long perWave = (long long)sm_count * bps;
        const long long full = blocks / perWave, rest = blocks - full * perWave;
        double cost = full * (bps * w / warp_rate(bps * w));
        if (rest) { const int m = (int)((rest + sm_count - 1) / sm_count); cost += m * w / warp_rate(m * w); }
        if (cost < bestCost * 0.97) { bestCost = cost; best = w; }
    }
    return best;
}
static const BlockVariant& variant_of(int w) { return w == 16 ? V512 : V384; }

static FILE* jsonf;
static FILE* checkf;

// One correctness case: the chunked path and the new kernel at several W (16-byte copies need E % 4 == 0
// and W % 4 == 0: W = 3 takes the 4-byte path, W = 6 the 8-byte one; W larger than E leaves whole warps
// idle; u2 is the build with two state groups per loop body).
static void check_case(int b, int l, int e, int n, int g, bool withZD, bool sp, double tol)
{
    auto u = rnd((size_t)b * l * e, -1, 1), dl = sp ? rnd((size_t)b * l * e, -3, 1) : rnd((size_t)b * l * e, 0.01f, 1);
    auto a = rnd((size_t)e * n, -2, -0.05f);
    auto bm = rnd((size_t)b * l * g * n, -1, 1), cm = rnd((size_t)b * l * g * n, -1, 1);
    auto d = rnd(e, -1, 1), z = rnd((size_t)b * l * e, -2, 2), db = rnd(e, -0.5f, 0.5f);
    auto h0 = rnd((size_t)b * e * n, -1, 1);
    if (l > 3) dl[3] = 25.f;   // past the softplus threshold (and a large δ without softplus)
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(false, u, dl, a, bm, cm, withZD ? &d : nullptr, withZD ? &z : nullptr, db, sp, hw, yw, b, l, e, n, e, g);
    float *du = dev(u), *ddl = dev(dl), *da = dev(a), *dbm = dev(bm), *dcm = dev(cm), *dd = dev(d), *dz = dev(z), *ddb = dev(db);
    float *dh, *dy, *hloc, *sdel;
    CK(cudaMalloc(&dh, h0.size() * 4)); CK(cudaMalloc(&dy, std::max<size_t>(4, yw.size() * 4)));
    CK(cudaMalloc(&hloc, (size_t)4 * b * e * n * 1024 + 4)); CK(cudaMalloc(&sdel, (size_t)4 * b * e * 1024 + 4));
    auto run = [&](const char* name, auto launch) {
        double ey, eh;
        const bool ok = checked_launch(launch, dh, dy, h0, hw, yw, tol, ey, eh);
        record(name, ok, ey, eh);
        fprintf(checkf, "%s %-10s B%d L%d E%d N%d G%d %s %s: out %.2e state %.2e (tol %.0e)\n", ok ? "ok  " : "FAIL", name,
                b, l, e, n, g, withZD ? "z/D" : "-  ", sp ? "softplus" : "linear  ", ey, eh, tol);
        if (!ok) printf("FAIL %s B%d L%d E%d N%d G%d %s sp%d: out %.2e state %.2e\n", name, b, l, e, n, g, withZD ? "z/D" : "-", sp, ey, eh);
    };
    const float* zp = withZD ? dz : nullptr;
    const float* dp = withZD ? dd : nullptr;
    if (l > 0)   // the chunked launch rule divides by the chunk length
        run("chunked", [&] { launch_chunked(false, du, ddl, da, dbm, dcm, dp, zp, ddb, sp, dh, dy, b, l, e, n, e, g, hloc, sdel); });
    static const struct { const BlockVariant* v; int w; const char* name; } paths[] = {
        {&V384, 3, "t384_w3"}, {&V384, 4, "t384_w4"}, {&V384, 6, "t384_w6"}, {&V384, 12, "t384_w12"},
        {&VU2, 12, "u2_w12"}, {&V512, 16, "t512_w16"}};
    for (auto& p : paths)
        run(p.name, [&] { launch_block(*p.v, p.w, du, ddl, da, dbm, dcm, dp, zp, ddb, sp, dh, dy, b, l, e, n, g); });
    for (float* p : {du, ddl, da, dbm, dcm, dd, dz, ddb, dh, dy, hloc, sdel}) cudaFree(p);
}


static bool chunked_only;   // --chunked-only: time the chunk-parallel path alone

static void bench(int b, int l, int e, int n, std::vector<int> ws)
{
    const int g = 1;
    double act = (double)b * l * e, bc = (double)b * l * n;
    double bytes = 4 * (4 * act + 2 * bc);
    char shape[96];
    snprintf(shape, sizeof shape, "B%d L%d E%d N%d", b, l, e, n);
    float chunkedMs = 0;
    auto report = [&](const char* path, float ms) {
        report_timing(jsonf, "selective_scan", shape, path, bytes, b * (double)l, ms, chunkedMs, "chunked");
    };
    chunkedMs = time_ms([&] { launch_chunked(false, bu, bdl, ba, bbm, bcm, bd, bz, bdb, 1, bh, by, b, l, e, n, e, g, bhloc, bsdel); });
    float saved = chunkedMs; chunkedMs = 0;
    report("chunked", saved);
    chunkedMs = saved;
    if (chunked_only) return;
    const int auto_w = pick_w(b, e, g);
    for (const BlockVariant* v : {&V384, &VU2, &V512})
        for (int w : ws) {
            if (w > v->maxW || (v == &V512) != (w == 16) || (v == &VU2 && w != 12)) continue;
            char name[32];
            snprintf(name, sizeof name, "%s_w%d%s", v->name, w, w == auto_w && v == &variant_of(w) ? "*" : "");
            report(name, time_ms([&] { launch_block(*v, w, bu, bdl, ba, bbm, bcm, bd, bz, bdb, 1, bh, by, b, l, e, n, g); }));
        }
}

// The chunk-parallel body in one pass (nch = 1, as CudaOps launches it once B·E fills the GPU) on its own
// buffers, for shapes larger than the shared benchmark buffers (L >= 64K with B·E >= 33,792 channels).
// Prints "does not fit" when the device lacks the memory.
static void bench_single_pass(int b, int l, int e)
{
    const int n = 16;
    const size_t act = (size_t)b * l * e, bc = (size_t)b * l * n;
    char shape[96];
    snprintf(shape, sizeof shape, "B%d L%d E%d N%d", b, l, e, n);
    float *u = nullptr, *dl = nullptr, *z = nullptr, *y = nullptr, *bm = nullptr, *cm = nullptr;
    bool ok = cudaMalloc(&u, act * 4) == cudaSuccess && cudaMalloc(&dl, act * 4) == cudaSuccess &&
              cudaMalloc(&z, act * 4) == cudaSuccess && cudaMalloc(&y, act * 4) == cudaSuccess &&
              cudaMalloc(&bm, bc * 4) == cudaSuccess && cudaMalloc(&cm, bc * 4) == cudaSuccess;
    if (!ok) {
        cudaGetLastError();
        printf("%-24s single_pass    does not fit in device memory (%.1f GB)\n", shape, 4.0 * (4 * act + 2 * bc) / 1e9);
    } else {
        fill_uniform<<<4096, 256>>>(u, (long long)act, 1, -1, 1); fill_uniform<<<4096, 256>>>(dl, (long long)act, 2, -4, -1);
        fill_uniform<<<4096, 256>>>(z, (long long)act, 3, -2, 2); fill_uniform<<<4096, 256>>>(bm, (long long)bc, 4, -1, 1);
        fill_uniform<<<4096, 256>>>(cm, (long long)bc, 5, -1, 1);
        CK(cudaDeviceSynchronize());
        const double bytes = 4.0 * (4 * act + 2 * bc);
        dim3 grid((e + 127) / 128, 1, b);
        const float ms = time_ms([&] { ss_out1_n16<<<grid, 128>>>(u, dl, ba, bm, cm, bd, z, bdb, 1, bh, nullptr, nullptr, y, l, e, n, e, 1, 1, l); });
        report_timing(jsonf, "selective_scan", shape, "single_pass", bytes, b * (double)l, ms);
    }
    for (float* q : {u, dl, z, y, bm, cm}) if (q) cudaFree(q);
}

// Same inputs through both paths at a long shape: max |diff| / max |chunked| of out and state (GPU vs GPU).
static void compare_paths(int b, int l, int e, int n)
{
    size_t act = (size_t)b * l * e, hs = (size_t)b * e * n;
    std::vector<float> h0(hs), y1(act), y2(act), h1(hs), h2(hs);
    CK(cudaMemcpy(h0.data(), bh, hs * 4, cudaMemcpyDeviceToHost));
    auto once = [&](bool blk, std::vector<float>& y, std::vector<float>& h) {
        CK(cudaMemcpy(bh, h0.data(), hs * 4, cudaMemcpyHostToDevice));
        CK(cudaMemset(by, 0xff, act * 4));
        if (blk) launch_block(variant_of(pick_w(b, e, 1)), pick_w(b, e, 1), bu, bdl, ba, bbm, bcm, bd, bz, bdb, 1, bh, by, b, l, e, n, 1);
        else launch_chunked(false, bu, bdl, ba, bbm, bcm, bd, bz, bdb, 1, bh, by, b, l, e, n, e, 1, bhloc, bsdel);
        CK(cudaDeviceSynchronize());
        CK(cudaMemcpy(y.data(), by, act * 4, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(h.data(), bh, hs * 4, cudaMemcpyDeviceToHost));
    };
    once(false, y1, h1); once(true, y2, h2);
    auto rel = [](const std::vector<float>& a, const std::vector<float>& r) {
        double md = 0, mr = 1e-30;
        for (size_t i = 0; i < a.size(); ++i) {
            double d = std::fabs((double)a[i] - r[i]);
            if (!(d == d)) return (double)NAN;
            md = std::max(md, d); mr = std::max(mr, (double)std::fabs(r[i]));
        }
        return md / mr;
    };
    printf("block vs chunked, same inputs, B%d L%d E%d N%d: out %.2e state %.2e (relative to max |chunked|)\n", b, l, e, n,
           rel(y2, y1), rel(h2, h1));
    CK(cudaMemcpy(bh, h0.data(), hs * 4, cudaMemcpyHostToDevice));
}

int main(int argc, char** argv)
{
    jsonf = fopen(argc > 1 ? argv[1] : "scan_block.json", "w");
    checkf = fopen(argc > 2 ? argv[2] : "scan_block_checks.txt", "w");
    cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
    sm_count = prop.multiProcessorCount;
    int clockKHz = 0; CK(cudaDeviceGetAttribute(&clockKHz, cudaDevAttrClockRate, 0));
    printf("device: %s, %d SMs, %d MHz\n", prop.name, sm_count, clockKHz / 1000);
    for (const BlockVariant* v : {&V384, &VU2, &V512}) {
        CK(cudaFuncSetAttribute(v->fn, cudaFuncAttributeMaxDynamicSharedMemorySize, BL::smem_bytes(v->maxW)));
        cudaFuncAttributes fa; CK(cudaFuncGetAttributes(&fa, v->fn));
        printf("  %-5s (W <= %2d): %d registers, %zu B local\n", v->name, v->maxW, fa.numRegs, fa.localSizeBytes);
    }
    for (int w : {3, 4, 6, 8, 12, 16})
        printf("  W=%2d: %6d B shared memory, %d block(s)/SM\n", w, BL::smem_bytes(w), blocks_per_sm(w == 16 ? V512 : V384, w));

    chunked_only = argc > 3 && std::string(argv[3]) == "--chunked-only";
    if (argc > 3 && std::string(argv[3]) == "--profile") {   // one B1 L64K E1536 N16 launch per path, for ncu
        size_t act = (size_t)1536 << 16, bcn = (size_t)16 << 16;
        float *u, *dl, *z, *y, *bm, *cm, *a, *d, *db, *h, *hl, *sd;
        for (float** p : {&u, &dl, &z, &y}) CK(cudaMalloc(p, act * 4));
        for (float** p : {&bm, &cm}) CK(cudaMalloc(p, bcn * 4));
        for (float** p : {&a, &h}) CK(cudaMalloc(p, 1536 * 16 * 4));
        for (float** p : {&d, &db}) CK(cudaMalloc(p, 1536 * 4));
        CK(cudaMalloc(&hl, (size_t)4 << 26)); CK(cudaMalloc(&sd, (size_t)4 << 22));
        fill_uniform<<<4096, 256>>>(u, (long long)act, 1, -1, 1); fill_uniform<<<4096, 256>>>(dl, (long long)act, 2, -4, -1);
        fill_uniform<<<4096, 256>>>(z, (long long)act, 3, -2, 2);
        fill_uniform<<<4096, 256>>>(bm, (long long)bcn, 4, -1, 1); fill_uniform<<<4096, 256>>>(cm, (long long)bcn, 5, -1, 1);
        fill_uniform<<<4096, 256>>>(a, 1536 * 16, 6, -2, -0.1f); fill_uniform<<<4096, 256>>>(h, 1536 * 16, 9, -0.1f, 0.1f);
        fill_uniform<<<4096, 256>>>(d, 1536, 7, 0, 1); fill_uniform<<<4096, 256>>>(db, 1536, 8, -0.5f, 0.5f);
        launch_chunked(false, u, dl, a, bm, cm, d, z, db, 1, h, y, 1, 1 << 16, 1536, 16, 1536, 1, hl, sd);
        launch_block(V384, 12, u, dl, a, bm, cm, d, z, db, 1, h, y, 1, 1 << 16, 1536, 16, 1);
        CK(cudaDeviceSynchronize());
        return 0;
    }
    // correctness: every (L, E, B, N) of the grid below, z/D and softplus alternating so that each
    // combination meets every L and E; plus one G = 2 case and one long case.
    const int Ls[] = {1, 2, 31, 32, 33, 255, 256, 257, 300};
    const int Es[] = {1, 7, 32, 33, 96};
    const int Bs[] = {1, 3};
    const int Ns[] = {1, 5, 16};
    int idx = 0;
    for (int l : Ls)
        for (int e : Es)
            for (int b : Bs)
                for (int n : Ns) {
                    const int combo = (idx++ + l) & 3;
                    check_case(b, l, e, n, 1, combo & 1, (combo >> 1) & 1, 2e-5);
                }
    check_case(2, 300, 96, 16, 2, true, true, 2e-5);
    check_case(3, 257, 32, 5, 2, false, true, 2e-5);
    check_case(1, 0, 32, 16, 1, true, true, 2e-5);    // L = 0: the state passes through
    // Long: fp32 rounding accumulates over 4097 sequential steps (each step about 1 ulp of the state,
    // random-walk growth ~ sqrt(L) · 6e-8 ≈ 4e-6); 1e-4 leaves room for the chunked path's re-association.
    check_case(3, 4097, 96, 16, 1, true, true, 1e-4);
    if (finish_checks(checkf, idx + 4)) return 1;

    alloc_bench_buffers(16);
    measure_copy_bandwidth(jsonf);
    compare_paths(1, 1 << 16, 384, 16);
    printf("timing (median of 10 after 2 warm-up launches; * = W the launch rule picks):\n");
    const std::vector<int> wsAll = {4, 8, 12, 16};
    for (int e : {384, 768, 1536}) bench(1, 1 << 16, e, 16, wsAll);
    for (int e : {384, 768, 1536}) bench(1, 1 << 20, e, 16, wsAll);
    bench(8, 1 << 16, 768, 16, wsAll);
    bench(64, 4096, 384, 16, wsAll);
    bench(64, 4096, 1536, 16, wsAll);
    bench(44, 4096, 1536, 16, {16});
    bench(11, 1 << 16, 1536, 16, {16});     // one block per SM: the one-pass rule's threshold
    // single pass at L = 64K: the shared buffers make way for the large ones (A, D, bias and h stay)
    for (float* q : {bu, bdl, bz, by, bbm, bcm, bhloc, bsdel}) cudaFree(q);
    bench_single_pass(11, 1 << 16, 1536);
    bench_single_pass(22, 1 << 16, 1536);
    bench_single_pass(44, 1 << 16, 1536);
    bench_single_pass(88, 1 << 16, 768);
    fclose(jsonf);
    return 0;
}
