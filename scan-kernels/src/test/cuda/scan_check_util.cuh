// Host-side helpers shared by the standalone scan harnesses (scan_lanes_check.cu, scan_block_check.cu,
// ssd_seg_check.cu), on top of harness_util.cuh: the chunk-parallel path launched exactly as CudaOps
// launches it, the float64 host reference of the selective scan / SSD (spec ops §8.1, §9), the checked
// launch and per-path tallies, the benchmark buffers and the copy bandwidth.
// Glossary: B batch, L tokens, E channels (H·P for SSD), N state size, H heads, P head dim, G groups.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <algorithm>
#include <string>
#include <cuda_runtime.h>

#include "harness_util.cuh"
#include "scan_host_ref.hpp"
#include "../../main/cuda/ssd_state_mma.cuh"
#include "../../main/cuda/ssd_out_mma.cuh"


// The chunk-parallel path exactly as CudaOps launches it (chunks chosen for the SMs x 1024 threads; at
// N16 one pass once B·E reaches 128 (SSD: 256) per SM, and one chunk at N16 runs the one-pass builds *_out1_n16;
// the SSD at N16 cut into chunks runs ssd_state1_n16 / ssd_out1_n16 at CudaOps.ssdChunk's count).
static int sm_count;
// The SSD's state pass when the sequence is cut: ssd_state_mma (CudaOps.SsdState.MMA, the default)
// or the scalar state kernels (SCALAR); state_only stops after the state pass (to time it alone).
static bool mma_state = true, state_only = false;
typedef void (*ScanFn)(SL_SCAN_ARGS);
static ScanFn mma_fn = ssd_state_mma;   // the build of the tensor-core state pass, and its head dims per warp
static int mma_cw = sl::SSDM_CW;
// the SSD's output pass at N 56-64 as matrix products (ssd_out_mma_n64, CudaOps.SsdOut.MMA, the default) or
// ssd_out_n64 / ssd_out1_n64
static bool mma_out = true;
static ScanFn mma_out_fn = ssd_out_mma_n64;   // its build, head dims per block and shared memory
static int mma_out_pb = 64, mma_out_smem = sl::SsdoLayout<64, 4, 16>::BYTES;
static ScanFn ssd_out64_fn = ssd_out_n64;   // the SSD's output pass at width 64 cut into chunks (harnesses time others)
static int forced_chunk = 0;   // > 0: this chunk length instead of the launch rule's
// Register-array width of the chunk-parallel kernels for a state size (N <= 64).
static int ns_of(int n) { return n <= 8 ? 8 : n <= 16 ? 16 : 64; }
static void launch_chunked(bool ssd, const float* u, const float* dl, const float* a, const float* bm, const float* cm,
                           const float* d, const float* z, const float* db, int sp, float* h, float* y,
                           int b, int l, int e, int n, int heads, int g, float* hloc, float* sdelta)
{
    long long threads = (long long)b * e, want = (long long)sm_count * 1024;
    const bool onePass16 = ns_of(n) == 16 && threads * (ssd ? 4 : 8) >= want;   // CudaOps.onePassN16
    int eg = e / g, block = std::min(128, (eg + 31) / 32 * 32), gx = g * ((eg + block - 1) / block);
    int ns = ns_of(n);
    const bool wideSsd = ssd && ns == 16;   // CudaOps.ssdChunk: up to four whole waves, chunks of >= 512 tokens
    int chunk = l;
    if (wideSsd && !onePass16) {
        int perSm = 0;
        CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, ssd_out1_n16, 128, 0));
        const long long blocks = (long long)b * gx, slots = (long long)sm_count * std::max(1, perSm);
        long long nch = std::min((4 * slots + blocks - 1) / blocks, (long long)std::max(1, l / 512));
        const long long waves = nch * blocks / slots;   // whole waves only
        if (waves >= 1) nch = std::max(1LL, waves * slots / blocks);
        chunk = (int)((l + nch - 1) / nch);
    } else if (!(onePass16 || threads * 2 >= want || l <= 128)) {
        long long nch = std::min((want + threads - 1) / threads, (long long)std::max(1, l / 64));
        chunk = (int)((l + nch - 1) / nch);
    }
    if (forced_chunk > 0) chunk = std::min(forced_chunk, l);
    int nch = (l + chunk - 1) / chunk;
    dim3 grid(gx, nch, b);
    // the SSD's width-16 builds are the 8-token ones for both passes (CudaOps.scan)
#define PICK(NM, SSD_STATE, SSD_OUT) \
    if (ns == NM) { \
        if (nch > 1) { \
            if (ssd && mma_state) { \
                const int jobs = heads * ((e / heads + mma_cw - 1) / mma_cw) * ((n + 15) / 16); \
                mma_fn<<<dim3((jobs + sl::SSDM_WARPS - 1) / sl::SSDM_WARPS, nch, b), 32 * sl::SSDM_WARPS>>>( \
                    u, dl, a, bm, cm, d, z, db, sp, h, hloc, sdelta, nullptr, l, e, n, heads, g, nch, chunk); \
            } else { \
                (ssd ? SSD_STATE : ss_state_n##NM)<<<grid, block>>>(u, dl, a, bm, cm, d, z, db, sp, h, hloc, sdelta, nullptr, l, e, n, heads, g, nch, chunk); \
            } \
            if (state_only) return; \
            long long total = (long long)b * n * e; \
            ss_combine<<<(unsigned)((total + 255) / 256), 256>>>(a, ssd ? 1 : 0, h, hloc, sdelta, b, e, n, heads, nch); \
        } \
        if (ssd && NM == 64 && mma_out && n >= 56) { \
            CK(cudaFuncSetAttribute(mma_out_fn, cudaFuncAttributeMaxDynamicSharedMemorySize, mma_out_smem)); \
            mma_out_fn<<<dim3(heads * ((e / heads + mma_out_pb - 1) / mma_out_pb), nch, b), 128, mma_out_smem>>>( \
                u, dl, a, bm, cm, d, z, db, sp, h, hloc, sdelta, y, l, e, n, heads, g, nch, chunk); \
            return; \
        } \
        (nch == 1 && NM == 16 ? (ssd ? ssd_out1_n16 : ss_out1_n16) : nch == 1 && NM == 64 && ssd ? ssd_out1_n64 \
                                                                   : ssd ? SSD_OUT : ss_out_n##NM)<<<grid, block>>>(u, dl, a, bm, cm, d, z, db, sp, h, hloc, sdelta, y, l, e, n, heads, g, nch, chunk); \
    }
    PICK(8, ssd_state_n8, ssd_out_n8) PICK(16, ssd_state1_n16, ssd_out1_n16) PICK(64, ssd_state_n64, ssd_out64_fn)
#undef PICK
}

// One checked launch: the state reset to h0 (device dh), the outputs (device dy) NaN-filled so unwritten
// ones fail, the launch, then out and final state against the float64 reference (relative to their
// largest value) into ey / eh. True when both are within tol (NaN compares false).
template <class Launch>
static bool checked_launch(Launch launch, float* dh, float* dy, const std::vector<float>& h0, const std::vector<double>& hw,
                           const std::vector<double>& yw, double tol, double& ey, double& eh)
{
    CK(cudaMemcpy(dh, h0.data(), h0.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMemset(dy, 0xff, std::max<size_t>(4, yw.size() * 4)));
    launch();
    CK(cudaGetLastError()); CK(cudaDeviceSynchronize());
    std::vector<float> hy(yw.size()), hh(h0.size());
    if (!yw.empty()) CK(cudaMemcpy(hy.data(), dy, yw.size() * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(hh.data(), dh, h0.size() * 4, cudaMemcpyDeviceToHost));
    ey = yw.empty() ? 0 : relerr(hy, yw);
    eh = relerr(hh, hw);
    return ey <= tol && eh <= tol;
}

// Per-path tallies of the checks, printed at the end of a harness.
struct PathStats { std::string name; int ok = 0, fail = 0; double worstY = 0, worstH = 0; };
static std::vector<PathStats> path_stats;
static void record(const std::string& name, bool ok, double ey, double eh)
{
    PathStats* ps = nullptr;
    for (auto& s : path_stats) if (s.name == name) ps = &s;
    if (!ps) { path_stats.push_back(PathStats{name}); ps = &path_stats.back(); }
    if (ok) ++ps->ok; else ++ps->fail;
    if (!(ey == ey) || ey > ps->worstY) ps->worstY = ey;
    if (!(eh == eh) || eh > ps->worstH) ps->worstH = eh;
}
// Prints the tallies; returns the number of failed checks.
static int print_path_stats()
{
    int fails = 0;
    for (auto& s : path_stats) {
        printf("  %-22s %4d ok %3d failed, worst out %.2e, worst state %.2e\n", s.name.c_str(), s.ok, s.fail, s.worstY, s.worstH);
        fails += s.fail;
    }
    return fails;
}

// The end of a harness's correctness part: the per-path tallies under a heading, the check file closed.
// Returns the number of failed checks.
static int finish_checks(FILE* checkf, int cases)
{
    printf("correctness (%d cases; every check compares out and final state vs float64):\n", cases);
    const int fails = print_path_stats();
    fclose(checkf);
    if (fails) printf("correctness FAILED\n");
    return fails;
}

// The case grid of the SSD harnesses: D on every other case, softplus off for every other pair, so that
// each combination meets the varied shapes. check(case, withD, softplus); returns the number of cases.
struct SsdCase { int b, l, heads, p, n, g; };
template <size_t K, class F>
static int ssd_grid(const SsdCase (&cases)[K], F check)
{
    int idx = 0;
    for (const SsdCase& c : cases) {
        const int combo = idx++;
        check(c, (combo & 1) != 0, ((combo >> 1) & 1) == 0);
    }
    return idx;
}

static double copy_gbs;

// One timed path: a line on stdout (with the speed-up against baseMs when baseMs > 0) and its JSON object.
// bytes: what an ideal kernel moves (inputs once, outputs once); tokens: B·L.
static void report_timing(FILE* json, const char* op, const char* shape, const char* path, double bytes, double tokens,
                          float ms, float baseMs = 0, const char* baseName = "")
{
    const double gbs = bytes / (ms * 1e-3) / 1e9, tps = tokens / (ms * 1e-3);
    printf("%-26s %-22s %9.3f ms %12.4g tok/s %8.1f GB/s %6.1f%% of copy", shape, path, ms, tps, gbs, 100 * gbs / copy_gbs);
    if (baseMs > 0) printf("   %.2fx vs %s", baseMs / ms, baseName);
    printf("\n");
    fprintf(json, "{\"op\":\"%s\",\"shape\":\"%s\",\"path\":\"%s\",\"ms_median\":%.4f,\"tokens_per_s\":%.1f,\"gb_s\":%.1f,"
            "\"pct_of_copy_bw\":%.1f}\n", op, shape, path, ms, tps, gbs, 100 * gbs / copy_gbs);
    fflush(stdout); fflush(json);
}
static float *bu, *bdl, *bz, *by, *bbm, *bcm, *ba, *bd, *bdb, *bh, *bhloc, *bsdel;
static size_t bench_big;

static void alloc_bench_buffers(int nmax)
{
    size_t big = bench_big = (size_t)1536 << 20;   // floats per large buffer (6.4 GB: B1 L1M E1536)
    CK(cudaMalloc(&bu, big * 4)); CK(cudaMalloc(&bdl, big * 4)); CK(cudaMalloc(&bz, big * 4)); CK(cudaMalloc(&by, big * 4));
    size_t bcn = (size_t)nmax << 20;
    CK(cudaMalloc(&bbm, bcn * 4)); CK(cudaMalloc(&bcm, bcn * 4));
    CK(cudaMalloc(&ba, (size_t)1536 * nmax * 4)); CK(cudaMalloc(&bd, 1536 * 4)); CK(cudaMalloc(&bdb, 1536 * 4));
    CK(cudaMalloc(&bh, (size_t)64 * 1536 * nmax * 4)); CK(cudaMalloc(&bhloc, (size_t)4 << 28)); CK(cudaMalloc(&bsdel, (size_t)4 << 24));
    auto fill = [](float* p, size_t n, unsigned long long seed, float lo, float hi) {
        fill_uniform<<<4096, 256>>>(p, (long long)n, seed, lo, hi);
    };
    fill(bu, big, 1, -1, 1); fill(bdl, big, 2, -4, -1); fill(bz, big, 3, -2, 2); fill(bbm, bcn, 4, -1, 1); fill(bcm, bcn, 5, -1, 1);
    fill(ba, (size_t)1536 * nmax, 6, -2, -0.1f); fill(bd, 1536, 7, 0, 1); fill(bdb, 1536, 8, -0.5f, 0.5f);
    fill(bh, (size_t)64 * 1536 * nmax, 9, -0.1f, 0.1f);
    CK(cudaDeviceSynchronize());
}

// The device's copy bandwidth (float4 copy kernel, bytes read + written) into copy_gbs, printed and
// written to json.
static void measure_copy_bandwidth(FILE* json)
{
    size_t n4 = bench_big / 4;
    float ms = time_ms([&] { copy_f4<<<(unsigned)((n4 + 255) / 256), 256>>>((const float4*)bu, (float4*)by, (long long)n4); });
    copy_gbs = 2.0 * bench_big * 4 / (ms * 1e-3) / 1e9;
    printf("copy bandwidth: %.0f GB/s\n", copy_gbs);
    fprintf(json, "{\"op\":\"copy\",\"gb_s\":%.1f}\n", copy_gbs);
}
