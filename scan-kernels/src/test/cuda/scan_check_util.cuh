// Host-side helpers shared by the standalone scan harnesses (scan_lanes_check.cu, scan_block_check.cu):
// error check, the chunk-parallel path launched exactly as CudaOps launches it, the float64 host
// reference of the selective scan / SSD (spec ops §8.1, §9), random inputs, relative error, timing.
// Glossary: B batch, L tokens, E channels (H·P for SSD), N state size, H heads, P head dim, G groups.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t err_ = (x); if (err_ != cudaSuccess) { \
    fprintf(stderr, "CUDA %s at %s:%d: %s\n", #x, __FILE__, __LINE__, cudaGetErrorString(err_)); exit(3); } } while (0)


// The chunk-parallel path exactly as CudaOps launches it (chunk chosen for 132 SMs x 1024 threads).
static int sm_count;
// Register-array width of the chunk-parallel kernels for a state size (N <= 64).
static int ns_of(int n) { return n <= 8 ? 8 : n <= 16 ? 16 : 64; }
static void launch_chunked(bool ssd, const float* u, const float* dl, const float* a, const float* bm, const float* cm,
                           const float* d, const float* z, const float* db, int sp, float* h, float* y,
                           int b, int l, int e, int n, int heads, int g, float* hloc, float* sdelta)
{
    long long threads = (long long)b * e, want = (long long)sm_count * 1024;
    int chunk = l;
    if (!(threads * 2 >= want || l <= 128)) {
        long long nch = std::min((want + threads - 1) / threads, (long long)std::max(1, l / 64));
        chunk = (int)((l + nch - 1) / nch);
    }
    int nch = (l + chunk - 1) / chunk;
    int eg = e / g, block = std::min(128, (eg + 31) / 32 * 32), gx = g * ((eg + block - 1) / block);
    int ns = ns_of(n);
    dim3 grid(gx, nch, b);
#define PICK(NM) \
    if (ns == NM) { \
        if (nch > 1) { \
            (ssd ? ssd_state_n##NM : ss_state_n##NM)<<<grid, block>>>(u, dl, a, bm, cm, d, z, db, sp, h, hloc, sdelta, nullptr, l, e, n, heads, g, nch, chunk); \
            long long total = (long long)b * n * e; \
            ss_combine<<<(unsigned)((total + 255) / 256), 256>>>(a, ssd ? 1 : 0, h, hloc, sdelta, b, e, n, heads, nch); \
        } \
        (ssd ? ssd_out_n##NM : ss_out_n##NM)<<<grid, block>>>(u, dl, a, bm, cm, d, z, db, sp, h, hloc, sdelta, y, l, e, n, heads, g, nch, chunk); \
    }
    PICK(8) PICK(16) PICK(64)
#undef PICK
}

// ---------------------------------------------------------------- float64 host reference (ops §8.1, §9)
static void host_scan(bool ssd, const std::vector<float>& u, const std::vector<float>& dl, const std::vector<float>& a,
                      const std::vector<float>& bm, const std::vector<float>& cm, const std::vector<float>* d,
                      const std::vector<float>* z, const std::vector<float>& db, bool sp, std::vector<double>& h,
                      std::vector<double>& y, int b, int l, int e, int n, int heads, int g)
{
    int p = e / heads, eg = e / g;
    y.assign((size_t)b * l * e, 0.0);
    for (int bi = 0; bi < b; ++bi)
        for (int t = 0; t < l; ++t)
            for (int ei = 0; ei < e; ++ei) {
                int hh = ei / p, gi = ei / eg;
                size_t tok = (size_t)bi * l + t;
                double delta = (double)dl[tok * heads + hh] + db[hh];
                if (sp) delta = delta > 20 ? delta : std::log1p(std::exp(delta));
                double acc = 0;
                for (int ni = 0; ni < n; ++ni) {
                    double aa = ssd ? a[hh] : a[(size_t)ei * n + ni];
                    double& hv = h[((size_t)bi * e + ei) * n + ni];
                    hv = std::exp(delta * aa) * hv + delta * u[tok * e + ei] * bm[(tok * g + gi) * n + ni];
                    acc += hv * cm[(tok * g + gi) * n + ni];
                }
                if (d) acc += (*d)[hh] * u[tok * e + ei];
                if (z) { double zz = (*z)[tok * e + ei]; acc *= zz / (1 + std::exp(-zz)); }
                y[tok * e + ei] = acc;
            }
}

static unsigned long long rng = 88172645463325252ull;
static float urand(float lo, float hi) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return lo + (hi - lo) * (float)((rng >> 40) * (1.0 / 16777216.0));
}
static std::vector<float> rnd(size_t n, float lo, float hi) { std::vector<float> v(n); for (auto& x : v) x = urand(lo, hi); return v; }
static float* dev(const std::vector<float>& v) {
    float* p; CK(cudaMalloc(&p, std::max<size_t>(4, v.size() * 4)));
    if (!v.empty()) CK(cudaMemcpy(p, v.data(), v.size() * 4, cudaMemcpyHostToDevice));
    return p;
}
static double relerr(const std::vector<float>& got, const std::vector<double>& want) {
    double md = 0, mw = 1e-30;
    for (size_t i = 0; i < want.size(); ++i) {
        double diff = std::fabs(got[i] - want[i]);
        if (!(diff == diff)) return NAN;
        md = std::max(md, diff); mw = std::max(mw, std::fabs(want[i]));
    }
    return md / mw;
}

// ---------------------------------------------------------------- timing
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

