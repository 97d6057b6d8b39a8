// Standalone check and benchmark of the bf16 tensor-core mLSTM (three-pass, mlstm_mma.cuh, and fused,
// mlstm_fused.cuh, where DH % 128 == 0) next to the fp32 kernels (mlstm.cuh), on a GPU machine without
// Java: every path launched as CudaOps launches it, against a float64 host recurrence (spec ops §10.1,
// D1) from a random nonzero state and from the fresh state (0, 0, −∞), in one call and cut into two
// calls carrying (C, n, m); then timings.
// Build and run: run-scan-check.sh mlstm_bf16 OUT_DIR [--ncu] (nvcc on the GPU machine); the binary's
// third argument --checks-only stops after the checks, --fused-timing times only head dims with a fused
// kernel (--fused-timing-only: without the checks), --profile makes one call per path for ncu, --segment-sweep
// (after the checks) times the wgmma kernel at forced segment counts.
//
// Glossary: B batch, L tokens, NH heads, DH head dim, Q chunk length, NCH chunks.
// Errors are max|x − ref| / max|ref| per tensor (h, final C, n, m).
// FLOP count (the project's for the chunkwise form): (4·DH² + 4·Q·DH) per token and head, with the Q
// each path runs at. "GB/s ideal" = q, k, v read and h written once (fp32) + gates; "GB/s states"
// adds the per-chunk state traffic of the three-pass form: Cl written (pass 1), read and written
// (pass 2), read (pass 3): 16·(DH² + DH) bytes per chunk and head.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <string>
#include <algorithm>
#include <cuda_runtime.h>

#include "../../main/cuda/common.cuh"
#include "../../main/cuda/mlstm.cuh"
#include "../../main/cuda/mlstm_mma.cuh"
#include "../../main/cuda/mlstm_fused.cuh"
#include "../../main/cuda/mlstm_wgmma.cuh"
#include "../../main/cuda/gemm_bf16.cuh"   // cvt_f32_bf16
#include "../../main/cuda/elementwise.cuh"
#include "../../main/cuda/bench_util.cuh"

#include "harness_util.cuh"
#include "mlstm_host_ref.hpp"
#include "mlstm_rules.hpp"
#include "wgmma_unit.hpp"
#include "fused_builds.hpp"

// ---------------------------------------------------------------- launch rules (mirrors of CudaOps)
static long long f32_state_smem(int q, int dh) { return 8LL * q + 4LL * (2LL * q * dh + 2 * q); }
static long long f32_out_smem(int q, int dh) { return 16LL * q + 4LL * (2LL * q * (dh + 1) + (long long)q * dh + (long long)q * (q + 1) + 3 * q); }
static int f32_chunk(int req, int l, int dh) {
    int q = std::max(1, std::min(req, std::max(1, l)));
    while (q > 1 && std::max(f32_out_smem(q, dh), f32_state_smem(q, dh)) > SMEM_CAP) q = (q + 1) / 2;
    return q;
}
struct Scratch {
    float *cl = nullptr, *nl = nullptr, *fd = nullptr, *lw = nullptr;
    double *ml = nullptr, *gl = nullptr, *mi = nullptr;
    size_t clCap = 0, nlCap = 0, bhcCap = 0;   // elements
    void ensure(size_t bhc, int dh) {
        const size_t ncl = bhc * dh * dh, nnl = bhc * dh;
        if (ncl > clCap) { if (cl) cudaFree(cl); clCap = ncl; CK(cudaMalloc(&cl, 4 * clCap)); }
        if (nnl > nlCap) { if (nl) cudaFree(nl); nlCap = nnl; CK(cudaMalloc(&nl, 4 * nlCap)); }
        if (bhc > bhcCap) {
            for (void* p : {(void*)fd, (void*)lw, (void*)ml, (void*)gl, (void*)mi}) if (p) cudaFree(p);
            bhcCap = bhc;
            CK(cudaMalloc(&fd, 4 * bhcCap)); CK(cudaMalloc(&lw, 4 * bhcCap));
            CK(cudaMalloc(&ml, 8 * bhcCap)); CK(cudaMalloc(&gl, 8 * bhcCap)); CK(cudaMalloc(&mi, 8 * bhcCap));
        }
    }
};

enum Pass { ALL, STATE, DECAY, COMBINE, OUT };

// ---------------------------------------------------------------- fused path (mirror of CudaOps.mlstmFused)
// fusedWg: the wgmma build (mlstm_wgmma.cuh, DH 64-512, sm_90a) in place of the _bq build
static bool fusedWg = false;
static FusedCfg fused_cfg(int dh) { return fused_build(dh, fusedWg); }
static int sm_count = 132;
// Segments as CudaOps picks them (fused_segment_count, mlstm_rules.hpp). forceG > 0 overrides (tests, sweeps).
static int fused_segments(int b, int l, int nh, int dh, int forceG, int* spc) {
    const FusedCfg cfg = fused_cfg(dh);
    const int nch = (l + cfg.q - 1) / cfg.q;
    const long long blocks = (long long)b * nh * fused_slabs(dh);
    int perSm = 0;   // resident blocks per SM as the driver computes them (CudaOps asks the same)
    if (cfg.fn) CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, cfg.fn, cfg.threads, cfg.smem));
    else CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, cfg.bq, cfg.threads, cfg.smemBq));
    int g = forceG > 0 ? forceG : fused_segment_count(blocks, nch, sm_count, std::max(1, perSm), dh);
    g = std::max(1, std::min(g, nch));
    *spc = (nch + g - 1) / g;
    return (nch + *spc - 1) / *spc;
}
struct FusedScratch { float *cs = nullptr, *ns = nullptr, *fd = nullptr, *lw = nullptr, *n0 = nullptr, *m0 = nullptr;
                      double *ms = nullptr, *gs = nullptr, *mi = nullptr; size_t capC = 0, capN = 0, capS = 0, capBh = 0; };
static FusedScratch fsc;
// grows each buffer to what (B·NH·G segments, DH) needs (elements)
static void fused_ensure(size_t bhg, size_t bh, int dh) {
    auto grow = [](auto*& p, size_t& cap, size_t need, size_t elem) {
        if (need <= cap) return;
        if (p) cudaFree(p);
        cap = need;
        CK(cudaMalloc(&p, elem * cap));
    };
    grow(fsc.cs, fsc.capC, bhg * dh * dh, 4);
    grow(fsc.ns, fsc.capN, bhg * dh, 4);
    if (bhg > fsc.capS) {
        for (void* p : {(void*)fsc.fd, (void*)fsc.lw, (void*)fsc.ms, (void*)fsc.gs, (void*)fsc.mi}) if (p) cudaFree(p);
        fsc.capS = bhg;
        CK(cudaMalloc(&fsc.fd, 4 * bhg)); CK(cudaMalloc(&fsc.lw, 4 * bhg));
        CK(cudaMalloc(&fsc.ms, 8 * bhg)); CK(cudaMalloc(&fsc.gs, 8 * bhg)); CK(cudaMalloc(&fsc.mi, 8 * bhg));
    }
    if (bh * dh > fsc.capBh) {
        if (fsc.n0) cudaFree(fsc.n0);
        if (fsc.m0) cudaFree(fsc.m0);
        fsc.capBh = bh * dh;
        CK(cudaMalloc(&fsc.n0, 4 * fsc.capBh)); CK(cudaMalloc(&fsc.m0, 4 * fsc.capBh));
    }
}
// fusedBq: the _bq builds, q and k converted to bf16 first (cvt_f32_bf16 into qkb, part of the call)
static bool fusedBq = false;
static __nv_bfloat16* qkb = nullptr;
static size_t qkbCap = 0;
static unsigned char* gatesBuf = nullptr;   // mlstm_gate_prep's records for the prefetching _bq builds
static size_t gatesCap = 0;
// One fused call as CudaOps launches it; returns the chunk, *segs the segments used.
static int run_fused(const float* q, const float* k, const float* v, const float* ig, const float* fg, float* C, float* n,
                     float* m, float* h, int b, int l, int nh, int dh, int forceG, int* segs, Pass pass = ALL)
{
    const FusedCfg cfg = fused_cfg(dh);
    const size_t nx = (size_t)b * l * nh * dh;
    if (fusedBq) {
        if (2 * nx > qkbCap) { if (qkb) cudaFree(qkb); qkbCap = 2 * nx; CK(cudaMalloc(&qkb, qkbCap * 2)); }
        if (pass == ALL || pass == STATE || pass == OUT) {
            const unsigned gb = (unsigned)std::min<size_t>((nx + 255) / 256, 65535 * 16);
            cvt_f32_bf16<<<gb, 256>>>(q, qkb, (long long)nx);
            cvt_f32_bf16<<<gb, 256>>>(k, qkb + nx, (long long)nx);
        }
    }
    // the _bq builds read the gates from mlstm_gate_prep's records (part of the call, as the conversion)
    const int nch = (l + cfg.q - 1) / cfg.q;
    if (fusedBq) {
        const size_t need = (size_t)b * nh * nch * slmf::gate_bytes(cfg.q);
        if (need > gatesCap) { if (gatesBuf) cudaFree(gatesBuf); gatesCap = need; CK(cudaMalloc(&gatesBuf, need)); }
        if (pass == ALL || pass == STATE || pass == OUT)
            mlstm_gate_prep<<<dim3((unsigned)((nch + 3) / 4), nh, b), 128>>>(ig, fg, gatesBuf, l, nh, cfg.q);
    }
    // the chosen build on q and k, then the remaining arguments and the gate records
    auto fn = [&](dim3 grid, auto... rest) {
        if (fusedBq) cfg.bq<<<grid, cfg.threads, cfg.smemBq>>>(qkb, qkb + nx, rest..., gatesBuf);
        else cfg.fn<<<grid, cfg.threads, cfg.smem>>>(q, k, rest..., nullptr);
    };
    int spc = 0;
    const int G = fused_segments(b, l, nh, dh, forceG, &spc);
    if (segs) *segs = G;
    const size_t bh = (size_t)b * nh;
    fused_ensure(bh * G, bh, dh);
    dim3 grid(fused_slabs(dh) * G, nh, b);
    if (G == 1) {
        if (pass == ALL || pass == STATE) {
            CK(cudaMemcpyAsync(fsc.n0, n, bh * dh * 4, cudaMemcpyDeviceToDevice));
            CK(cudaMemcpyAsync(fsc.m0, m, bh * 4, cudaMemcpyDeviceToDevice));
        }
        if (pass == ALL || pass == OUT)
            fn(grid, v, ig, fg, C, fsc.n0, (const double*)nullptr, fsc.m0, h, C, n, (double*)nullptr, m, (double*)nullptr, l, nh, 1,
               spc, 1e-6f, 0);
        return cfg.q;
    }
    if (pass == ALL || pass == STATE)
        fn(grid, v, ig, fg, (const float*)nullptr, (const float*)nullptr, (const double*)nullptr, (const float*)nullptr, h, fsc.cs,
           fsc.ns, fsc.ms, (float*)nullptr, fsc.gs, l, nh, G, spc, 1e-6f, 1);
    if (pass == ALL || pass == DECAY)
        mlstm_chunk_decay<<<(unsigned)((bh + 127) / 128), 128>>>(m, fsc.ms, fsc.gs, fsc.mi, fsc.fd, fsc.lw, (int)bh, G);
    if (pass == ALL || pass == COMBINE) {
        const long long total = (long long)bh * (dh * dh + dh);
        mlstm_combine<<<(unsigned)((total + 255) / 256), 256>>>(C, n, fsc.cs, fsc.ns, fsc.fd, fsc.lw, b, nh, dh, G);
    }
    if (pass == ALL || pass == OUT)
        fn(grid, v, ig, fg, fsc.cs, fsc.ns, fsc.mi, (const float*)nullptr, h, (float*)nullptr, (float*)nullptr, (double*)nullptr,
           (float*)nullptr, (double*)nullptr, l, nh, G, spc, 1e-6f, 0);
    return cfg.q;
}

// One mLSTM call as CudaOps.mlstm (fp32) / CudaOps.mlstmBf16 launch it; pass != ALL launches one pass
// only (timing breakdown). Returns the chunk used.
static int run_mlstm(bool bf, int chunk, const float* q, const float* k, const float* v, const float* ig, const float* fg,
                     float* C, float* n, float* m, float* h, int b, int l, int nh, int dh, Scratch& s, Pass pass = ALL)
{
    if (b == 0 || l == 0 || nh == 0) return 0;
    const int qc = bf ? bf_chunk(chunk, l, dh) : f32_chunk(chunk, l, dh);
    const int nch = (l + qc - 1) / qc;
    s.ensure((size_t)b * nh * nch, dh);
    dim3 grid(nch, nh, b);
    if (pass == ALL || pass == STATE) {
        if (bf) mlstm_chunk_state_bf16<<<grid, 256, bf_state_smem(qc, dh)>>>(k, v, ig, fg, s.cl, s.nl, s.ml, s.gl, l, nh, dh, qc);
        else mlstm_chunk_state<<<grid, 256, f32_state_smem(qc, dh)>>>(k, v, ig, fg, s.cl, s.nl, s.ml, s.gl, l, nh, dh, qc);
    }
    if (pass == ALL || pass == DECAY)
        mlstm_chunk_decay<<<(b * nh + 127) / 128, 128>>>(m, s.ml, s.gl, s.mi, s.fd, s.lw, b * nh, nch);
    if (pass == ALL || pass == COMBINE) {
        const long long total = (long long)b * nh * (dh * dh + dh);
        mlstm_combine<<<(unsigned)((total + 255) / 256), 256>>>(C, n, s.cl, s.nl, s.fd, s.lw, b, nh, dh, nch);
    }
    if (pass == ALL || pass == OUT) {
        if (bf) mlstm_chunk_out_bf16<<<grid, 256, bf_out_smem(qc, dh)>>>(q, k, v, ig, fg, s.cl, s.nl, s.mi, h, l, nh, dh, qc, 1e-6f);
        else mlstm_chunk_out<<<grid, 256, f32_out_smem(qc, dh)>>>(q, k, v, ig, fg, s.cl, s.nl, s.mi, h, l, nh, dh, qc, 1e-6f);
    }
    return qc;
}


// ---------------------------------------------------------------- wgmma forms the wgmma build uses, alone
// Runs wg_unit (wgmma_unit.hpp) with the kernel's MN-major form and with lbo and sbo exchanged; counts failures.
static void wg_unit_checks(int& passedOut, int& failedOut)
{
    const WgUnit u = wg_unit_inputs();
    float *dA = dev(u.A), *dB = dev(u.B), *dX = dev(u.X), *dY = dev(u.Y), *d1, *d2, *d3;
    CK(cudaMalloc(&d1, 64 * 128 * 4)); CK(cudaMalloc(&d2, 64 * 72 * 4)); CK(cudaMalloc(&d3, 64 * 64 * 4));
    for (int swap : {0, 1}) {
        CK(cudaMemset(d1, 0xff, 64 * 128 * 4)); CK(cudaMemset(d2, 0xff, 64 * 72 * 4)); CK(cudaMemset(d3, 0xff, 64 * 64 * 4));
        CK(cudaFuncSetAttribute(wg_unit, cudaFuncAttributeMaxDynamicSharedMemorySize, WG_UNIT_SMEM));
        wg_unit<<<1, 128, WG_UNIT_SMEM>>>(dA, dB, dX, dY, d1, d2, d3, swap);
        CK(cudaGetLastError()); CK(cudaDeviceSynchronize());
        (wg_unit_verdict(u, host(d1, 64 * 128), host(d2, 64 * 72), host(d3, 64 * 64), swap) ? passedOut : failedOut)++;
    }
    for (float* p : {dA, dB, dX, dY, d1, d2, d3}) cudaFree(p);
}

static FILE* jsonf;
static FILE* checkf;
static int failed = 0, passed = 0;
static const double TOL32 = 5e-5;                 // fp32 kernels
static const double TOLH = 5e-2, TOLS = 1e-2;     // bf16 kernels: h, states C and n (see NOTES.md)
static const double TOLM = 1e-6;                  // m: fp64 gate path in both
struct Worst { double h = 0, C = 0, n = 0, m = 0, split = 0, hr = 0, Cr = 0; };
static Worst worst32, worst16, worstF;

static void check_case(int b, int l, int nh, int dh, bool fresh, const std::vector<int>& chunks, Scratch& s)
{
    const size_t nx = (size_t)b * l * nh * dh, nC = (size_t)b * nh * dh * dh, nn = (size_t)b * nh * dh;
    MlstmCase in = mlstm_case_inputs(b, l, nh, dh, fresh);
    const auto &q = in.q, &k = in.k, &v = in.v, &ig = in.ig, &fg = in.fg, &C0 = in.C0, &n0 = in.n0, &m0 = in.m0;
    const auto &Cw = in.Cw, &nw = in.nw, &mw = in.mw, &hw = in.hw;
    // second reference on q, k, v rounded to bf16 as the kernels stage them: what is left against it is
    // the kernels' own rounding (weighted k̂, P, C_in, fp32 sums), not the inputs'
    std::vector<double> Cr(C0.begin(), C0.end()), nr(n0.begin(), n0.end()), mr(m0.begin(), m0.end()), hr;
    host_mlstm(bf16_round(q), bf16_round(k), bf16_round(v), ig, fg, Cr, nr, mr, hr, b, l, nh, dh);
    float *dq = dev(q), *dk = dev(k), *dv = dev(v), *dig = dev(ig), *dfg = dev(fg);
    float *dC = dev(C0), *dn = dev(n0), *dm = dev(m0), *dh_;
    CK(cudaMalloc(&dh_, nx * 4));
    const int l1 = std::max(1, l / 3);   // split point of the two-call run
    auto reset = [&] {
        CK(cudaMemcpy(dC, C0.data(), nC * 4, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(dn, n0.data(), nn * 4, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(dm, m0.data(), m0.size() * 4, cudaMemcpyHostToDevice));
        CK(cudaMemset(dh_, 0xff, nx * 4));   // NaN: unwritten outputs fail
    };
    // paths: fp32 at chunk 64; bf16 three-pass at each chunk; where DH % 128 == 0 the fused kernel with
    // automatic segments, one segment (the whole sequence in one walk) and two segments
    struct PathSpec { int mode, chunk, forceG; };   // mode 0 fp32, 1 bf16 three-pass, 2 fused
    std::vector<PathSpec> paths = {{0, 64, 0}};
    for (int c : chunks) paths.push_back({1, c, 0});
    // mode 3: the fused kernel's bf16-input build (q, k converted first), which must give the fp32-input build's bits
    if (dh % 128 == 0) for (int g : {0, 1, 2}) { paths.push_back({2, 0, g}); paths.push_back({3, 0, g}); }
    // mode 4: the wgmma build (its own chunk, so its bits are its own)
    if (wg_build_exists(dh)) for (int g : {0, 1, 2}) paths.push_back({4, 0, g});
    int segs = 0;
    auto run_path = [&](const PathSpec& p, const float* q_, const float* k_, const float* v_, const float* i_, const float* f_,
                        float* h_, int len) {
        fusedBq = p.mode >= 3;
        fusedWg = p.mode == 4;
        const int r = p.mode >= 2 ? run_fused(q_, k_, v_, i_, f_, dC, dn, dm, h_, b, len, nh, dh, p.forceG, &segs)
                                  : run_mlstm(p.mode == 1, p.chunk, q_, k_, v_, i_, f_, dC, dn, dm, h_, b, len, nh, dh, s);
        fusedBq = false;
        fusedWg = false;
        return r;
    };
    std::vector<float> hPrev, CPrev;   // the previous path's one-call outputs (mode 2 before its mode 3)
    for (const PathSpec& path : paths) {
        const bool bf = path.mode != 0;
        reset();
        const int qc = run_path(path, dq, dk, dv, dig, dfg, dh_, l);
        const int segsOne = segs;
        CK(cudaGetLastError()); CK(cudaDeviceSynchronize());
        auto h1 = host(dh_, nx), C1 = host(dC, nC), n1 = host(dn, nn), m1 = host(dm, m0.size());
        const double eh = relerr(h1, hw), eC = relerr(C1, Cw), en = relerr(n1, nw), em = relerr(m1, mw);
        const double ehr = relerr(h1, hr), eCr = relerr(C1, Cr);
        // two calls carrying (C, n, m): the second sees the first's final state
        double es = 0, esh = 0, esC = 0;
        if (l >= 2) {
            reset();
            // the batch axis is outermost, so a token split needs per-batch copies: use B-contiguous sub-buffers
            float *q1, *k1, *v1, *i1, *f1, *h1d, *q2, *k2, *v2, *i2, *f2, *h2d;
            const int l2 = l - l1;
            const size_t x1 = (size_t)b * l1 * nh * dh, x2 = (size_t)b * l2 * nh * dh;
            for (float** p : {&q1, &k1, &v1, &h1d}) CK(cudaMalloc(p, x1 * 4));
            for (float** p : {&q2, &k2, &v2, &h2d}) CK(cudaMalloc(p, x2 * 4));
            CK(cudaMalloc(&i1, (size_t)b * l1 * nh * 4)); CK(cudaMalloc(&f1, (size_t)b * l1 * nh * 4));
            CK(cudaMalloc(&i2, (size_t)b * l2 * nh * 4)); CK(cudaMalloc(&f2, (size_t)b * l2 * nh * 4));
            for (int bi = 0; bi < b; ++bi) {
                const size_t row = (size_t)nh * dh, grow = nh;
                auto cp = [&](float* dst, const float* src, size_t w, int t0, int len, int dl) {
                    CK(cudaMemcpy(dst + (size_t)bi * dl * w, src + ((size_t)bi * l + t0) * w, (size_t)len * w * 4, cudaMemcpyDeviceToDevice));
                };
                cp(q1, dq, row, 0, l1, l1); cp(k1, dk, row, 0, l1, l1); cp(v1, dv, row, 0, l1, l1);
                cp(i1, dig, grow, 0, l1, l1); cp(f1, dfg, grow, 0, l1, l1);
                cp(q2, dq, row, l1, l2, l2); cp(k2, dk, row, l1, l2, l2); cp(v2, dv, row, l1, l2, l2);
                cp(i2, dig, grow, l1, l2, l2); cp(f2, dfg, grow, l1, l2, l2);
            }
            run_path(path, q1, k1, v1, i1, f1, h1d, l1);
            run_path(path, q2, k2, v2, i2, f2, h2d, l2);
            CK(cudaGetLastError()); CK(cudaDeviceSynchronize());
            auto ha = host(h1d, x1), hb = host(h2d, x2);
            std::vector<float> hs(nx);
            for (int bi = 0; bi < b; ++bi) {
                const size_t row = (size_t)nh * dh;
                std::copy(ha.begin() + (size_t)bi * l1 * row, ha.begin() + (size_t)(bi + 1) * l1 * row, hs.begin() + (size_t)bi * l * row);
                std::copy(hb.begin() + (size_t)bi * l2 * row, hb.begin() + (size_t)(bi + 1) * l2 * row, hs.begin() + ((size_t)bi * l + l1) * row);
            }
            auto Cs = host(dC, nC);
            esh = relerr(hs, hw); esC = relerr(Cs, Cw);
            // split vs one call, relative to the reference's scale
            double dmax = 0, wmax = 1e-30;
            for (size_t i = 0; i < nx; ++i) { dmax = std::max(dmax, std::fabs((double)hs[i] - h1[i])); wmax = std::max(wmax, std::fabs(hw[i])); }
            es = dmax / wmax;
            for (float* p : {q1, k1, v1, i1, f1, h1d, q2, k2, v2, i2, f2, h2d}) cudaFree(p);
        }
        const double th = bf ? TOLH : TOL32, ts = bf ? TOLS : TOL32;
        const bool same = path.mode != 3 || (h1 == hPrev && C1 == CPrev);
        const bool ok = eh <= th && eC <= ts && en <= ts && em <= TOLM && esh <= th && esC <= ts && same;
        hPrev = h1;
        CPrev = C1;
        (ok ? passed : failed)++;
        Worst& w = path.mode >= 2 ? worstF : bf ? worst16 : worst32;
        w.h = std::max(w.h, std::max(eh, esh)); w.C = std::max(w.C, std::max(eC, esC)); w.n = std::max(w.n, en);
        w.m = std::max(w.m, em); w.split = std::max(w.split, es); w.hr = std::max(w.hr, ehr); w.Cr = std::max(w.Cr, eCr);
        if (!(eh == eh) || !(eC == eC) || !(en == en) || !(esh == esh)) w.h = NAN;
        char line[400];
        char pname[32];
        if (path.mode >= 2) snprintf(pname, sizeof pname, "%s G%d%s", path.mode == 4 ? "fusedwg" : path.mode == 3 ? "fusedbq" : "fused", segsOne,
                                     same ? "" : " (bits differ from fused)");
        else snprintf(pname, sizeof pname, "%s", bf ? "bf16" : "fp32");
        snprintf(line, sizeof line, "%s %-9s Q%-3d B%d L%-4d NH%d DH%-3d %-5s h %.2e C %.2e n %.2e m %.2e | split@%d h %.2e C %.2e, vs one call %.2e"
                 " | vs bf16-input ref h %.2e C %.2e",
                 ok ? "PASS" : "FAIL", pname, qc, b, l, nh, dh, fresh ? "fresh" : "state", eh, eC, en, em, l1, esh, esC, es,
                 ehr, eCr);
        printf("%s\n", line);
        fprintf(checkf, "%s\n", line);
        fprintf(jsonf, "{\"check\":\"%s\",\"path\":\"%s\",\"Q\":%d,\"B\":%d,\"L\":%d,\"NH\":%d,\"DH\":%d,\"init\":\"%s\",\"err_h\":%.3e,"
                "\"err_C\":%.3e,\"err_n\":%.3e,\"err_m\":%.3e,\"split_err_h\":%.3e,\"split_err_C\":%.3e,\"split_vs_one\":%.3e,\"err_h_vs_bf16_input_ref\":%.3e,\"err_C_vs_bf16_input_ref\":%.3e,\"ok\":%s}\n",
                ok ? "pass" : "fail", pname, qc, b, l, nh, dh, fresh ? "fresh" : "state", eh, eC, en, em, esh, esC, es,
                ehr, eCr, ok ? "true" : "false");
        fflush(stdout); fflush(jsonf);
    }
    for (float* p : {dq, dk, dv, dig, dfg, dC, dn, dm, dh_}) cudaFree(p);
}

static float *bq, *bk, *bv, *bh, *big, *bfg, *bC, *bn, *bm;
static double copy_gbs;
static const double PEAK = 989e12;

static bool fusedTimingOnly = false;
static void bench(int b, int l, int nh, int dh, Scratch& s, const std::vector<int>& bfChunks)
{
    if (fusedTimingOnly && !wg_build_exists(dh) && dh % 128 != 0) return;
    char shape[64];
    snprintf(shape, sizeof shape, "B%d L%d NH%d DH%d", b, l, nh, dh);
    const double tokh = (double)b * l * nh;
    const double ideal = tokh * (16.0 * dh + 8);
    // nchh: state materializations, (b, head, chunk) for the three-pass form, (b, head, segment) for the
    // fused one with G > 1, none for G = 1
    auto report = [&](const char* path, int qc, float ms, const float* parts, double nchh) {
        const double flop = tokh * (4.0 * dh * dh + 4.0 * qc * dh);
        const double states = nchh * 16.0 * ((double)dh * dh + dh);
        const double tf = flop / (ms * 1e-3) / 1e12;
        printf("%-24s %-5s Q%-4d %9.3f ms %8.2f TFLOP/s %5.1f%% of 989 %7.0f GB/s ideal %7.0f GB/s states (%4.1f%% of copy)",
               shape, path, qc, ms, tf, 100 * tf * 1e12 / PEAK, ideal / (ms * 1e-3) / 1e9, (ideal + states) / (ms * 1e-3) / 1e9,
               100 * (ideal + states) / (ms * 1e-3) / 1e9 / copy_gbs);
        if (parts) printf("  [state %.3f decay %.3f combine %.3f out %.3f]", parts[0], parts[1], parts[2], parts[3]);
        printf("\n");
        fprintf(jsonf, "{\"op\":\"mlstm\",\"shape\":\"%s\",\"path\":\"%s\",\"Q\":%d,\"ms_median\":%.4f,\"tflop_s\":%.3f,\"pct_of_989\":%.2f,"
                "\"gb_s_ideal\":%.1f,\"gb_s_with_states\":%.1f", shape, path, qc, ms, tf, 100 * tf * 1e12 / PEAK,
                ideal / (ms * 1e-3) / 1e9, (ideal + states) / (ms * 1e-3) / 1e9);
        if (parts) fprintf(jsonf, ",\"ms_state\":%.4f,\"ms_decay\":%.4f,\"ms_combine\":%.4f,\"ms_out\":%.4f", parts[0], parts[1], parts[2], parts[3]);
        fprintf(jsonf, "}\n");
        fflush(stdout); fflush(jsonf);
    };
    auto timed = [&](bool bf, int chunk, const char* name) {
        int qc = 0;
        const float ms = time_ms([&] { qc = run_mlstm(bf, chunk, bq, bk, bv, big, bfg, bC, bn, bm, bh, b, l, nh, dh, s); });
        float parts[4];
        const Pass ps[4] = {STATE, DECAY, COMBINE, OUT};
        for (int i = 0; i < 4; ++i)
            parts[i] = time_ms([&] { run_mlstm(bf, chunk, bq, bk, bv, big, bfg, bC, bn, bm, bh, b, l, nh, dh, s, ps[i]); });
        report(name, qc, ms, parts, (double)b * nh * ((l + qc - 1) / qc));
    };
    auto timedFused = [&](bool bqb, bool wgb = false) {
        fusedBq = bqb;
        fusedWg = wgb;
        int qc = 0, G = 0;
        const float ms = time_ms([&] { qc = run_fused(bq, bk, bv, big, bfg, bC, bn, bm, bh, b, l, nh, dh, 0, &G); });
        float parts[4];
        const Pass ps[4] = {STATE, DECAY, COMBINE, OUT};
        for (int i = 0; i < 4; ++i)
            parts[i] = G == 1 && (i == 1 || i == 2) ? 0.f
                                                    : time_ms([&] { run_fused(bq, bk, bv, big, bfg, bC, bn, bm, bh, b, l, nh, dh, 0, nullptr, ps[i]); });
        char name[24];
        snprintf(name, sizeof name, "%sG%d", wgb ? "fusedwg" : bqb ? "fusedbq" : "fused", G);
        report(name, qc, ms, parts, G == 1 ? 0.0 : (double)b * nh * G);
        fusedBq = false;
        fusedWg = false;
    };
    if (!fusedTimingOnly) timed(false, 64, "fp32");   // the fp32 figures of these shapes are in NOTES.md
    for (int c : bfChunks) {
        if (c != bfChunks[0] && bf_chunk(c, l, dh) == bf_chunk(bfChunks[0], l, dh)) continue;
        timed(true, c, "bf16");
    }
    if (dh % 128 == 0) { timedFused(false); timedFused(true); }
    if (wg_build_exists(dh)) timedFused(true, true);
}

int main(int argc, char** argv)
{
    jsonf = fopen(argc > 1 ? argv[1] : "mlstm_bf16.json", "w");
    checkf = fopen(argc > 2 ? argv[2] : "mlstm_bf16_checks.txt", "w");
    const bool profile = argc > 3 && std::string(argv[3]) == "--profile";
    cudaDeviceProp prop; CK(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s, %d SMs\n", prop.name, prop.multiProcessorCount);
    sm_count = prop.multiProcessorCount;
    for (int dh : {128, 256, 384, 512}) {
        const FusedCfg cfg = fused_cfg(dh);
        CK(cudaFuncSetAttribute(cfg.fn, cudaFuncAttributeMaxDynamicSharedMemorySize, cfg.smem));
        CK(cudaFuncSetAttribute(cfg.bq, cudaFuncAttributeMaxDynamicSharedMemorySize, cfg.smemBq));
        int nb = 0;
        CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, cfg.fn, cfg.threads, cfg.smem));
        int nbq = 0;
        CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nbq, cfg.bq, cfg.threads, cfg.smemBq));
        printf("  fused DH%-3d Q%-3d %6d B shared %d block(s)/SM; _bq %6d B %d block(s)/SM\n", dh, cfg.q, cfg.smem, nb,
               cfg.smemBq, nbq);
    }
    CK(cudaFuncSetAttribute(mlstm_chunk_state, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_CAP));
    CK(cudaFuncSetAttribute(mlstm_chunk_out, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_CAP));
    CK(cudaFuncSetAttribute(mlstm_chunk_state_bf16, cudaFuncAttributeMaxDynamicSharedMemorySize, MMA_SMEM_CAP));
    CK(cudaFuncSetAttribute(mlstm_chunk_out_bf16, cudaFuncAttributeMaxDynamicSharedMemorySize, MMA_SMEM_CAP));
    for (int dh : {96, 256, 512}) {
        const int qc = bf_chunk(64, 1 << 16, dh);
        int bs = 0, bo = 0;
        CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&bs, mlstm_chunk_state_bf16, 256, bf_state_smem(qc, dh)));
        CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&bo, mlstm_chunk_out_bf16, 256, bf_out_smem(qc, dh)));
        printf("  bf16 DH%-3d Q%-3d state %6lld B shared %d block(s)/SM, out %6lld B shared %d block(s)/SM\n", dh, qc,
               bf_state_smem(qc, dh), bs, bf_out_smem(qc, dh), bo);
    }
    for (int dh = 64; dh <= 512; dh += 32)
        if (wg_build_exists(dh)) {
            const FusedCfg w = fused_build(dh, true);
            CK(cudaFuncSetAttribute(w.bq, cudaFuncAttributeMaxDynamicSharedMemorySize, w.smemBq));
        }
    printf("  wgmma shared bytes: DH128 %d, DH256 %d, DH384 %d, DH512 %d\n", slwm::Smem<128>::BYTES, slwm::Smem<256>::BYTES,
           slwm::Smem<384>::BYTES, slwm::Smem<512>::BYTES);
    Scratch s;
    wg_unit_checks(passed, failed);
    if (profile) {   // one call per path at B1 L16384 NH8 DH512 (or the head dim of a fourth argument), for ncu
        const int pdh = argc > 4 ? atoi(argv[4]) : 512;
        if (!wg_build_exists(pdh)) { fprintf(stderr, "--profile head dim: one with a wgmma build\n"); return 2; }
        const size_t nx = (size_t)16384 * 8 * 512;
        float *q, *g, *C, *n, *m, *h;
        CK(cudaMalloc(&q, nx * 4)); CK(cudaMalloc(&h, nx * 4)); CK(cudaMalloc(&g, 16384 * 8 * 4));
        CK(cudaMalloc(&C, 8 * 512 * 512 * 4)); CK(cudaMalloc(&n, 8 * 512 * 4)); CK(cudaMalloc(&m, 8 * 4));
        fill_uniform<<<4096, 256>>>(q, (long long)nx, 1, -1, 1);
        fill_uniform<<<256, 256>>>(g, 16384 * 8, 2, 0, 3);
        CK(cudaMemset(C, 0, 8 * 512 * 512 * 4)); CK(cudaMemset(n, 0, 8 * 512 * 4)); CK(cudaMemset(m, 0, 32));
        run_mlstm(false, 64, q, q, q, g, g, C, n, m, h, 1, 16384, 8, pdh, s);
        run_mlstm(true, 64, q, q, q, g, g, C, n, m, h, 1, 16384, 8, pdh, s);
        if (pdh % 128 == 0) {
            run_fused(q, q, q, g, g, C, n, m, h, 1, 16384, 8, pdh, 1, nullptr);
            fusedBq = true;   // and the _bq build (prefetching), as CudaOps runs it by default
            run_fused(q, q, q, g, g, C, n, m, h, 1, 16384, 8, pdh, 1, nullptr);
        }
        fusedBq = fusedWg = true;   // and the wgmma build
        run_fused(q, q, q, g, g, C, n, m, h, 1, 16384, 8, pdh, 1, nullptr);
        fusedWg = false;
        fusedBq = false;
        CK(cudaDeviceSynchronize());
        return 0;
    }

    // correctness: L = 1, 17, 64, 65, 1000 (single token, under one tile, exact chunk, one past, long);
    // B 1 and 3, NH 1 and 4, DH 16..512; chunks 16, 64, 128 where shared memory allows (bf_chunk caps them).
    struct Case { int b, l, nh, dh; };
    const Case cases[] = {
        {1, 1, 1, 16}, {3, 1, 4, 96}, {1, 17, 4, 32}, {3, 17, 1, 128}, {1, 64, 4, 96}, {3, 64, 1, 256},
        {3, 65, 4, 16}, {1, 65, 1, 256}, {1, 65, 4, 128}, {1, 1000, 4, 96}, {3, 1000, 1, 32}, {1, 1000, 1, 256},
        {3, 200, 4, 64}, {1, 130, 2, 512}, {2, 300, 2, 384}, {1, 257, 1, 512}, {2, 1000, 2, 128}, {1, 1, 2, 256},
        {2, 150, 2, 192}, {1, 1, 1, 192},
    };
    // --fused-timing-only: the fused timings without the checks (for A/B builds of a kernel change whose own
    // build ran the checks)
    const bool noChecks = argc > 3 && std::string(argv[3]) == "--fused-timing-only";
    if (!noChecks)
        for (const Case& c : cases)
            for (bool fresh : {false, true}) check_case(c.b, c.l, c.nh, c.dh, fresh, {16, 64, 128}, s);
    printf("fp32 worst: h %.2e C %.2e n %.2e m %.2e split-vs-one %.2e (tol %.0e)\n", worst32.h, worst32.C, worst32.n, worst32.m,
           worst32.split, TOL32);
    printf("bf16 worst: h %.2e C %.2e n %.2e m %.2e split-vs-one %.2e (tol h %.0e, C/n %.0e, m %.0e); vs bf16-input ref h %.2e C %.2e\n",
           worst16.h, worst16.C, worst16.n, worst16.m, worst16.split, TOLH, TOLS, TOLM, worst16.hr, worst16.Cr);
    printf("fused worst: h %.2e C %.2e n %.2e m %.2e split-vs-one %.2e; vs bf16-input ref h %.2e C %.2e\n", worstF.h, worstF.C,
           worstF.n, worstF.m, worstF.split, worstF.hr, worstF.Cr);
    printf("fp32 vs bf16-input ref (input rounding alone): h %.2e C %.2e\n", worst32.hr, worst32.Cr);
    printf("passed %d failed %d\n", passed, failed);
    fprintf(checkf, "passed %d failed %d\n", passed, failed);
    fclose(checkf);
    if (failed) { printf("correctness FAILED\n"); fclose(jsonf); return 1; }
    if (argc > 3 && std::string(argv[3]) == "--checks-only") { fclose(jsonf); return 0; }
    // --fused-timing: only the shapes with a fused kernel (DH % 128 == 0), every path
    fusedTimingOnly = noChecks || (argc > 3 && std::string(argv[3]) == "--fused-timing");

    // timing buffers: sized for the largest shape (B8 L65536 NH4 DH256 = B1 L65536 NH8 DH512 elements ×2)
    const size_t nx = (size_t)8 * 65536 * 4 * 256, ng = (size_t)8 * 65536 * 8;
    for (float** p : {&bq, &bk, &bv, &bh}) CK(cudaMalloc(p, nx * 4));
    CK(cudaMalloc(&big, ng * 4)); CK(cudaMalloc(&bfg, ng * 4));
    CK(cudaMalloc(&bC, (size_t)128 * 512 * 512 * 4)); CK(cudaMalloc(&bn, 128 * 512 * 4)); CK(cudaMalloc(&bm, 128 * 4));
    if (argc > 3 && std::string(argv[3]) == "--segment-sweep") {
        // the wgmma kernel at forced segment counts against the count the rule picks (fused_segments, as CudaOps)
        struct Sh { int b, l, nh, dh; };
        const Sh shapes[] = {{8, 16384, 8, 256}, {8, 65536, 4, 256}, {1, 65536, 4, 256}, {8, 4096, 4, 256},
                             {8, 65536, 4, 192}, {8, 65536, 4, 128}, {8, 65536, 8, 64}, {8, 16384, 8, 128},
                             {8, 16384, 8, 512}, {1, 65536, 8, 512}, {8, 16384, 8, 384}, {1, 65536, 4, 384},
                             // ViL-T/S/B's mLSTM calls with 4096-token chunks, and small batches of them
                             {1, 4096, 4, 96}, {1, 4096, 4, 192}, {1, 4096, 4, 384}, {8, 4096, 4, 96}, {2, 4096, 4, 192}};
        fusedBq = fusedWg = true;
        for (const Sh& x : shapes) {
            int spc = 0;
            printf("sweep B%d L%d NH%d DH%d rule G%d:", x.b, x.l, x.nh, x.dh, fused_segments(x.b, x.l, x.nh, x.dh, 0, &spc));
            for (int g : {1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64}) {
                int G = 0;
                const float ms = time_ms([&] { run_fused(bq, bk, bv, big, bfg, bC, bn, bm, bh, x.b, x.l, x.nh, x.dh, g, &G); });
                printf(" G%d %.3f", G, ms);
            }
            printf("\n");
            fflush(stdout);
        }
        fclose(jsonf);
        return 0;
    }
    fill_uniform<<<4096, 256>>>(bq, (long long)nx, 1, -1, 1); fill_uniform<<<4096, 256>>>(bk, (long long)nx, 2, -1, 1);
    fill_uniform<<<4096, 256>>>(bv, (long long)nx, 3, -1, 1); fill_uniform<<<4096, 256>>>(big, (long long)ng, 4, -3, 3);
    fill_uniform<<<4096, 256>>>(bfg, (long long)ng, 5, -1, 4);
    CK(cudaMemset(bC, 0, (size_t)128 * 512 * 512 * 4)); CK(cudaMemset(bn, 0, 128 * 512 * 4)); CK(cudaMemset(bm, 0, 128 * 4));
    CK(cudaDeviceSynchronize());
    {
        const size_t n4 = nx / 4;
        const float ms = time_ms([&] { copy_f4<<<(unsigned)((n4 + 255) / 256), 256>>>((const float4*)bq, (float4*)bh, (long long)n4); });
        copy_gbs = 2.0 * nx * 4 / (ms * 1e-3) / 1e9;
        printf("copy bandwidth: %.0f GB/s\n", copy_gbs);
        fprintf(jsonf, "{\"op\":\"copy\",\"gb_s\":%.1f}\n", copy_gbs);
    }
    printf("timing (median of 10 after 2 warm-up calls; whole call, then each pass alone in brackets, ms):\n");
    bench(1, 4096, 4, 96, s, {64, 128});
    bench(8, 4096, 4, 96, s, {64, 128});
    bench(1, 65536, 4, 96, s, {64, 128});
    bench(8, 65536, 4, 96, s, {64, 128});
    bench(1, 65536, 4, 256, s, {64, 128});
    bench(8, 4096, 4, 256, s, {64, 128});
    bench(8, 65536, 4, 256, s, {64, 128});
    bench(1, 16384, 8, 512, s, {64});
    bench(8, 4096, 8, 512, s, {64});
    bench(1, 65536, 8, 512, s, {64});
    bench(8, 16384, 8, 512, s, {64});
    bench(16, 4096, 8, 512, s, {64});
    bench(8, 16384, 8, 384, s, {64});
    bench(8, 16384, 8, 128, s, {64});
    bench(8, 65536, 4, 192, s, {64});   // key dims padded to a multiple of 128 in the wgmma kernel
    bench(8, 65536, 8, 64, s, {64});
    bench(8, 65536, 4, 128, s, {64});   // one warpgroup per block in the wgmma kernel at DH <= 128
    bench(1, 65536, 4, 128, s, {64});
    fclose(jsonf);
    return 0;
}
