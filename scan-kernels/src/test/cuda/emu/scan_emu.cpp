// Checks of the chunk-parallel selective scan and SSD kernels (selective_scan.cuh), the segment SSD and the
// state-parallel scan (ssd_seg.cuh, scan_lanes.cuh: the builds the backend launches) on the CPU warp emulator
// (warp_emu.hpp), against the float64 reference (scan_host_ref.hpp): every register-array width (8, 16,
// 64), one chunk (the *_out_n* kernels and the one-pass *_out1_n16 builds) and the sequence cut into chunks
// (state kernels, forward and backward (scan_tail.cuh), ss_combine, out kernels; the SSD at width 16 through ssd_state1_n16 / ssd_out1_n16, and its state
// pass on tensor cores, ssd_state_mma, against the scalar one), Mamba-1 and SSD (heads sharing δ, several B/C groups), with and
// without D, z (Mamba-1 only) and softplus, lengths that end mid-step. The GPU harnesses (scan_lanes_check.cu,
// scan_block_check.cu, ssd_seg_check.cu) run the same paths with CudaOps' automatic chunk choice.
// Tolerance 2e-5 relative to max|ref| (the harnesses' fp32 tolerance: exp2 of fp32 arguments and fp32
// sums over at most a few hundred tokens).
// Build and run: run-emu-checks.sh (g++ only).
#include "warp_emu.hpp"
#include "../../../main/cuda/common.cuh"
#include "../../../main/cuda/selective_scan.cuh"
#include "../../../main/cuda/scan_tail.cuh"
// the segment SSD build the backend launches (CudaOps.SEG_OUT)
#define SL_SEG_VARIANTS SL_SEG_INSTANCE(16, 32, 4, 16, 4)
#include "../../../main/cuda/ssd_seg.cuh"
#include "../../../main/cuda/scan_lanes.cuh"   // its one build: ss_lanes_n64_s4_t128_p3 (CudaOps.LANES_KERNEL)
// the backend's build of the tensor-core SSD state pass and the others the GPU harness times
#define SL_SSDM_VARIANTS SL_SSDM_INSTANCE(ssd_state_mma, 4, 2, 1) SL_SSDM_INSTANCE(ssd_state_mma_c16, 2, 1, 1) \
    SL_SSDM_INSTANCE(ssd_state_mma_c32_pd1, 4, 1, 1)
#include "../../../main/cuda/ssd_state_mma.cuh"
// the output pass on tensor cores: the backend's build (N <= 64) and one at N <= 16
#define SL_SSDO_VARIANTS SL_SSDO_INSTANCE(ssd_out_mma_n64, 64, 4, 16, 2) SL_SSDO_INSTANCE(ssd_out_mma_n16, 16, 2, 8, 2)
#include "../../../main/cuda/ssd_out_mma.cuh"
#include "../host_ref.hpp"
#include "../scan_host_ref.hpp"

#include <string>

// the dynamic shared memory of ssd_seg and scan_lanes (both declare sl::smem)
constexpr int SEG_BYTES = sl::SegLayout<16, 32, 4, 16>::BYTES, LANES_BYTES = sl::lanes_smem_bytes<64, 4, 128, 3>();
namespace sl { alignas(16) float smem[(SEG_BYTES > LANES_BYTES ? SEG_BYTES : LANES_BYTES) / 4]; }
constexpr int SSDO64_BYTES = sl::SsdoLayout<64, 4, 16>::BYTES, SSDO16_BYTES = sl::SsdoLayout<16, 2, 8>::BYTES;
namespace sl { alignas(16) float smem_sso[(SSDO64_BYTES > SSDO16_BYTES ? SSDO64_BYTES : SSDO16_BYTES) / 4]; }

typedef void (*ScanKernel)(const float*, const float*, const float*, const float*, const float*, const float*,
                           const float*, const float*, int, float*, float*, float*, float*, int, int, int, int, int, int, int);

struct Kernels { ScanKernel state, out; };
struct MmaBuild { const char* name; ScanKernel fn; int cw; };
static const MmaBuild MMA_BUILDS[] = {{"ssd_state_mma", ssd_state_mma, 32}, {"ssd_state_mma_c16", ssd_state_mma_c16, 16},
                                      {"ssd_state_mma_c32_pd1", ssd_state_mma_c32_pd1, 32}};
static Kernels kernels(bool ssd, int ns, bool onePass)
{
    if (onePass) return {nullptr, ssd && ns == 64 ? ssd_out1_n64 : ssd ? ssd_out1_n16 : ss_out1_n16};
    switch (ns) {
        case 8: return {ssd ? ssd_state_n8 : ss_state_n8, ssd ? ssd_out_n8 : ss_out_n8};
        // the SSD cut into chunks at width 16 runs the 8-token-group builds (CudaOps.scan)
        case 16: return {ssd ? ssd_state1_n16 : ss_state_n16, ssd ? ssd_out1_n16 : ss_out_n16};
        default: return {ssd ? ssd_state_n64 : ss_state_n64, ssd ? ssd_out_n64 : ss_out_n64};
    }
}

static int failed = 0, passed = 0;

// One call with nch chunks, launched as CudaOps launches the chunk-parallel path (state kernels and the
// combine only when the sequence is cut); onePass takes the *_out1_n16 build (N <= 16, one chunk). mma: a build
// of the SSD's state pass on tensor cores (ssd_state_mma.cuh), whose chunk states and Σδ are also held to those of
// the scalar state pass (ssd_state1_n16) on the same inputs.
// One SSD call with its output pass on tensor cores (ssd_out_mma.cuh, the build for N <= 16 or <= 64), after the
// tensor-core state pass and ss_combine when the sequence is cut, as CudaOps launches it; against the float64
// reference.
static void check_out_mma(int b, int l, int heads, int p, int n, int g, bool withD, bool sp, int nchWant)
{
    const int e = heads * p;
    const size_t nx = (size_t)b * l * e, nd = (size_t)b * l * heads, nbc = (size_t)b * l * g * n, nh = (size_t)b * e * n;
    auto x = rnd(nx, -1, 1), dt = sp ? rnd(nd, -2, 1) : rnd(nd, 0.05f, 1), bm = rnd(nbc, -1, 1), cm = rnd(nbc, -1, 1);
    auto a = rnd(heads, -1.5f, -0.1f), d = rnd(heads, -1, 1), db = sp ? rnd(heads, -0.5f, 0.5f) : rnd(heads, 0.f, 0.2f);
    auto h0 = rnd(nh, -0.5f, 0.5f);
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(true, x, dt, a, bm, cm, withD ? &d : nullptr, nullptr, db, sp, hw, yw, b, l, e, n, heads, g);
    const int chunk = (l + nchWant - 1) / nchWant, nch = (l + chunk - 1) / chunk;
    std::vector<float> h = h0, y(nx, NAN), hloc((size_t)b * nch * n * e, NAN), sdelta((size_t)b * nch * e, NAN);
    const bool wide = n > 16;
    auto args = [&](ScanKernel kf, float* out) {
        kf(x.data(), dt.data(), a.data(), bm.data(), cm.data(), withD ? d.data() : nullptr, nullptr, db.data(), sp ? 1 : 0,
           h.data(), hloc.data(), sdelta.data(), out, l, e, n, heads, g, nch, chunk);
    };
    if (nch > 1) {
        const int jobs = heads * ((p + sl::SSDM_CW - 1) / sl::SSDM_CW) * ((n + 15) / 16);
        emu::launch(dim3((jobs + sl::SSDM_WARPS - 1) / sl::SSDM_WARPS, nch, b), dim3(32 * sl::SSDM_WARPS), nullptr, 0,
                    [&] { args(ssd_state_mma, nullptr); });
        const long long total = (long long)b * n * e;
        emu::launch(dim3((unsigned)((total + 255) / 256)), dim3(256), nullptr, 0,
                    [&] { ss_combine(a.data(), 1, h.data(), hloc.data(), sdelta.data(), b, e, n, heads, nch); });
    }
    const int pb = wide ? 64 : 16;
    emu::launch(dim3(heads * ((p + pb - 1) / pb), nch, b), dim3(wide ? 128 : 64), sl::smem_sso, wide ? SSDO64_BYTES : SSDO16_BYTES,
                [&] { args(wide ? ssd_out_mma_n64 : ssd_out_mma_n16, y.data()); });
    const double ey = relerr(y, yw), eh = relerr(h, hw);
    const bool ok = ey <= 2e-5 && eh <= 2e-5;
    (ok ? passed : failed)++;
    printf("%s ssd  %s B%d L%-3d H%d P%-2d N%-2d G%d %-2s %-8s %s: out %.2e state %.2e\n", ok ? "PASS" : "FAIL",
           wide ? "ssd_out_mma_n64" : "ssd_out_mma_n16", b, l, heads, p, n, g, withD ? "D" : "-", sp ? "softplus" : "linear",
           (nch == 1 ? std::string("one chunk") : std::to_string(nch) + " chunks of " + std::to_string(chunk)).c_str(), ey, eh);
    fflush(stdout);
}

static void check(bool ssd, int b, int l, int e, int n, int heads, int g, bool withZD, bool sp, int nchWant, bool onePass,
                  const MmaBuild* mma = nullptr)
{
    const int ns = n <= 8 ? 8 : n <= 16 ? 16 : 64;
    const size_t nx = (size_t)b * l * e, nd = (size_t)b * l * heads, nbc = (size_t)b * l * g * n, nh = (size_t)b * e * n;
    // δ raw: through softplus any sign; used as is it must stay positive, or the state grows without bound
    auto u = rnd(nx, -1, 1), dl = sp ? rnd(nd, -2, 1) : rnd(nd, 0.05f, 1), bm = rnd(nbc, -1, 1), cm = rnd(nbc, -1, 1), z = rnd(nx, -2, 2);
    auto a = ssd ? rnd(heads, -1.5f, -0.1f) : rnd((size_t)e * n, -1.5f, -0.1f);
    auto d = rnd(heads, -1, 1), db = sp ? rnd(heads, -0.5f, 0.5f) : rnd(heads, 0.f, 0.2f), h0 = rnd(nh, -0.5f, 0.5f);
    const bool withZ = withZD && !ssd;   // the SSD has no z gate (CudaOps.ssd passes none; the kernel ignores it)
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(ssd, u, dl, a, bm, cm, withZD ? &d : nullptr, withZ ? &z : nullptr, db, sp, hw, yw, b, l, e, n, heads, g);

    const int chunk = (l + nchWant - 1) / nchWant, nch = (l + chunk - 1) / chunk;
    const int eg = e / g, block = std::min(128, (eg + 31) / 32 * 32), gx = g * ((eg + block - 1) / block);
    std::vector<float> h = h0, y(nx, NAN), hloc((size_t)b * nch * n * e), sdelta((size_t)b * nch * e);
    const Kernels k = kernels(ssd, ns, onePass && nch == 1);
    auto args = [&](ScanKernel kf, float* out) {
        kf(u.data(), dl.data(), a.data(), bm.data(), cm.data(), withZD ? d.data() : nullptr, withZ ? z.data() : nullptr,
           db.data(), sp ? 1 : 0, h.data(), hloc.data(), sdelta.data(), out, l, e, n, heads, g, nch, chunk);
    };
    double eloc = 0;
    if (nch > 1) {
        emu::launch(dim3(gx, nch, b), dim3(block), nullptr, 0, [&] { args(k.state, nullptr); });
        if (mma) {
            const std::vector<float> hs = hloc, ss = sdelta;
            std::fill(hloc.begin(), hloc.end(), NAN);
            std::fill(sdelta.begin(), sdelta.end(), NAN);
            const int jobs = heads * ((e / heads + mma->cw - 1) / mma->cw) * ((n + 15) / 16);
            emu::launch(dim3((jobs + sl::SSDM_WARPS - 1) / sl::SSDM_WARPS, nch, b), dim3(32 * sl::SSDM_WARPS), nullptr, 0,
                        [&] { args(mma->fn, nullptr); });
            eloc = std::max(relerr(hloc, std::vector<double>(hs.begin(), hs.end())), relerr(sdelta, std::vector<double>(ss.begin(), ss.end())));
        }
        const long long total = (long long)b * n * e;
        emu::launch(dim3((unsigned)((total + 255) / 256)), dim3(256), nullptr, 0,
                    [&] { ss_combine(a.data(), ssd ? 1 : 0, h.data(), hloc.data(), sdelta.data(), b, e, n, heads, nch); });
    }
    emu::launch(dim3(gx, nch, b), dim3(block), nullptr, 0, [&] { args(k.out, y.data()); });
    const double ey = relerr(y, yw), eh = relerr(h, hw);
    const bool ok = ey <= 2e-5 && eh <= 2e-5 && eloc <= 2e-5;
    (ok ? passed : failed)++;
    printf("%s %-4s %s B%d L%-3d E%-3d N%-2d H%-2d G%d %-3s %-8s %s: out %.2e state %.2e\n", ok ? "PASS" : "FAIL", ssd ? "ssd" : "scan",
           mma ? mma->name : "", b, l, e, n, heads, g, withZ ? "z/D" : withZD ? "D" : "-", sp ? "softplus" : "linear",
           (nch == 1 ? std::string(onePass ? (ns == 64 ? "one pass (out1_n64)" : "one pass (out1_n16)") : "one chunk") : std::to_string(nch) + " chunks of " + std::to_string(chunk)).c_str(),
           ey, eh);
    if (mma) printf("     chunk states and sums against the scalar state pass: %.2e\n", eloc);
    fflush(stdout);
}

// The backward state pass (scan_tail.cuh) as CudaOps launches it for a sequence cut into nch chunks: tail state
// kernel, ss_combine, the output pass; against the float64 reference, its chunk states held to the forward state
// kernel's on the same inputs. decay: 0 weak (δ and |A| small: the walk covers every chunk), 1 strong (δ ~ 1-3,
// A in [-2, -1]: the weight falls below 2^-32 within tens of tokens, so the walk must stop early, which the Σδ it
// reports shows: below the forward pass's where it stopped), 2 strong but with one state of every channel at A = 0
// (no decay there: the walk covers every chunk however fast the other states decay), 3 weak decay with some states
// at A = -inf (they forget at once: the SSD head with it stops at once, Mamba-1 channels walk on for their other
// states; no NaN from exp2(-inf · 0) at a chunk's last token).
static void check_tail(bool ssd, int b, int l, int e, int n, int heads, int g, bool sp, int nchWant, int decay)
{
    const int ns = n <= 8 ? 8 : n <= 16 ? 16 : 64;
    const size_t nx = (size_t)b * l * e, nd = (size_t)b * l * heads, nbc = (size_t)b * l * g * n, nh = (size_t)b * e * n;
    auto u = rnd(nx, -1, 1), bm = rnd(nbc, -1, 1), cm = rnd(nbc, -1, 1), z = rnd(nx, -2, 2);
    const bool strong = decay == 1 || decay == 2;
    auto dl = strong ? rnd(nd, 1, 3) : (sp ? rnd(nd, -4, -2) : rnd(nd, 0.01f, 0.1f));
    auto a = strong ? rnd(ssd ? heads : (size_t)e * n, -2, -1) : rnd(ssd ? heads : (size_t)e * n, -0.3f, -0.05f);
    if (decay == 2) {
        if (ssd) std::fill(a.begin(), a.end(), 0.f);
        else for (int ei = 0; ei < e; ++ei) a[(size_t)ei * n + (ei % n)] = 0.f;
    }
    if (decay == 3) {   // states that forget at once (A = -inf): the last token of a chunk alone makes its end state
        if (ssd) a[0] = -INFINITY;
        else for (int ei = 0; ei < e; ei += 3) a[(size_t)ei * n + (ei % n)] = -INFINITY;
    }
    auto d = rnd(heads, -1, 1), db = sp ? rnd(heads, -0.5f, 0.5f) : rnd(heads, 0.f, 0.2f), h0 = rnd(nh, -0.5f, 0.5f);
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(ssd, u, dl, a, bm, cm, &d, ssd ? nullptr : &z, db, sp, hw, yw, b, l, e, n, heads, g);
    const int chunk = (l + nchWant - 1) / nchWant, nch = (l + chunk - 1) / chunk;
    const int eg = e / g, block = std::min(128, (eg + 31) / 32 * 32), gx = g * ((eg + block - 1) / block);
    std::vector<float> h = h0, y(nx, NAN), hloc((size_t)b * nch * n * e, NAN), sdelta((size_t)b * nch * e, NAN);
    auto args = [&](ScanKernel kf, float* out) {
        kf(u.data(), dl.data(), a.data(), bm.data(), cm.data(), d.data(), ssd ? nullptr : z.data(), db.data(), sp ? 1 : 0,
           h.data(), hloc.data(), sdelta.data(), out, l, e, n, heads, g, nch, chunk);
    };
    const Kernels fwd = kernels(ssd, ns, false);
    ScanKernel tail = ns == 8 ? (ssd ? ssd_tail_n8 : ss_tail_n8) : ns == 16 ? (ssd ? ssd_tail_n16 : ss_tail_n16)
                                                                           : (ssd ? ssd_tail_n64 : ss_tail_n64);
    emu::launch(dim3(gx, nch, b), dim3(block), nullptr, 0, [&] { args(fwd.state, nullptr); });
    const std::vector<float> fwdLoc = hloc, fwdSum = sdelta;
    std::fill(hloc.begin(), hloc.end(), NAN);
    std::fill(sdelta.begin(), sdelta.end(), NAN);
    emu::launch(dim3(gx, nch, b), dim3(block), nullptr, 0, [&] { args(tail, nullptr); });
    const double eloc = relerr(hloc, std::vector<double>(fwdLoc.begin(), fwdLoc.end()));
    int stopped = 0;   // chunks of a channel whose walk ended before the chunk's start
    for (size_t i = 0; i < sdelta.size(); ++i) stopped += sdelta[i] < fwdSum[i] * (1 - 1e-5f) ? 1 : 0;
    const long long total = (long long)b * n * e;
    emu::launch(dim3((unsigned)((total + 255) / 256)), dim3(256), nullptr, 0,
                [&] { ss_combine(a.data(), ssd ? 1 : 0, h.data(), hloc.data(), sdelta.data(), b, e, n, heads, nch); });
    emu::launch(dim3(gx, nch, b), dim3(block), nullptr, 0, [&] { args(fwd.out, y.data()); });
    const double ey = relerr(y, yw), eh = relerr(h, hw);
    // the walk checks the weight once per 32-token step: a chunk of fewer than three steps may end before the check stops it
    const bool stopOk = decay == 3 || (decay != 1 ? stopped == 0 : chunk < 3 * sl::SCAN_TS || stopped > 0);
    const bool ok = ey <= 2e-5 && eh <= 2e-5 && eloc <= 2e-5 && stopOk;
    (ok ? passed : failed)++;
    printf("%s %-4s tail B%d L%-3d E%-3d N%-2d H%-2d G%d %-8s %d chunks of %-3d %s: out %.2e state %.2e, chunk states %.2e, "
           "%d of %zu walks stopped early\n", ok ? "PASS" : "FAIL", ssd ? "ssd" : "scan", b, l, e, n, heads, g, sp ? "softplus" : "linear",
           nch, chunk, decay == 0 ? "weak decay" : decay == 1 ? "strong decay" : decay == 2 ? "one state without decay" : "states with A = -inf",
           ey, eh, eloc, stopped,
           sdelta.size());
    fflush(stdout);
}

// The segment SSD (ssd_seg.cuh, N <= 16) with a given chunk (0: one pass), launched as CudaOps launches it.
static void check_seg(int b, int l, int heads, int p, int n, int g, bool withD, bool sp, int chunk)
{
    using LY = sl::SegLayout<16, 32, 4, 16>;
    const int e = heads * p;
    const size_t nx = (size_t)b * l * e, nd = (size_t)b * l * heads, nbc = (size_t)b * l * g * n, nh = (size_t)b * e * n;
    auto x = rnd(nx, -1, 1), dt = sp ? rnd(nd, -2, 1) : rnd(nd, 0.05f, 1), bm = rnd(nbc, -1, 1), cm = rnd(nbc, -1, 1);
    auto a = rnd(heads, -1.5f, -0.1f), d = rnd(heads, -1, 1), db = sp ? rnd(heads, -0.5f, 0.5f) : rnd(heads, 0.f, 0.2f), h0 = rnd(nh, -0.5f, 0.5f);
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(true, x, dt, a, bm, cm, withD ? &d : nullptr, nullptr, db, sp, hw, yw, b, l, e, n, heads, g);
    if (chunk <= 0 || chunk > l) chunk = l;
    const int nch = (l + chunk - 1) / chunk;
    std::vector<float> h = h0, y(nx, NAN), hloc((size_t)b * nch * n * e), sdelta((size_t)b * nch * e);
    const dim3 grid(heads * ((p + 31) / 32), nch, b), block(LY::THREADS);
    auto run = [&](bool out) {
        emu::launch(grid, block, sl::smem, LY::BYTES, [&] {
            (out ? ssd_seg_out_n16_p32_s4_t16 : ssd_seg_state_n16_p32_s4_t16)(x.data(), dt.data(), a.data(), bm.data(), cm.data(),
                withD ? d.data() : nullptr, db.data(), sp ? 1 : 0, h.data(), hloc.data(), sdelta.data(), out ? y.data() : nullptr,
                l, e, n, heads, g, nch, chunk);
        });
    };
    if (nch > 1) {
        run(false);
        const long long total = (long long)b * n * e;
        emu::launch(dim3((unsigned)((total + 255) / 256)), dim3(256), nullptr, 0,
                    [&] { ss_combine(a.data(), 1, h.data(), hloc.data(), sdelta.data(), b, e, n, heads, nch); });
    }
    run(true);
    const double ey = relerr(y, yw), eh = relerr(h, hw);
    const bool ok = ey <= 2e-5 && eh <= 2e-5;
    (ok ? passed : failed)++;
    printf("%s seg  B%d L%-3d H%d P%-2d N%-2d G%d %-3s %-8s %s: out %.2e state %.2e\n", ok ? "PASS" : "FAIL", b, l, heads, p, n, g,
           withD ? "D" : "-", sp ? "softplus" : "linear", (nch == 1 ? std::string("one pass") : std::to_string(nch) + " chunks of " + std::to_string(chunk)).c_str(),
           ey, eh);
    fflush(stdout);
}

// The single-pass state-parallel Mamba-1 scan (scan_lanes.cuh) as CudaOps launches it for 16 < N <= 64.
static void check_lanes(int b, int l, int e, int n, bool withZD, bool sp)
{
    const size_t nx = (size_t)b * l * e, nbc = (size_t)b * l * n, nh = (size_t)b * e * n;
    auto u = rnd(nx, -1, 1), dl = sp ? rnd(nx, -2, 1) : rnd(nx, 0.05f, 1), bm = rnd(nbc, -1, 1), cm = rnd(nbc, -1, 1);
    auto z = rnd(nx, -2, 2), a = rnd((size_t)e * n, -1.5f, -0.1f), d = rnd(e, -1, 1);
    auto db = sp ? rnd(e, -0.5f, 0.5f) : rnd(e, 0.f, 0.2f), h0 = rnd(nh, -0.5f, 0.5f);
    std::vector<double> hw(h0.begin(), h0.end()), yw;
    host_scan(false, u, dl, a, bm, cm, withZD ? &d : nullptr, withZD ? &z : nullptr, db, sp, hw, yw, b, l, e, n, e, 1);
    std::vector<float> h = h0, y(nx, NAN);
    const int cpb = 128 * 4 / 64;
    emu::launch(dim3((e + cpb - 1) / cpb, b), dim3(128), sl::smem, LANES_BYTES, [&] {
        ss_lanes_n64_s4_t128_p3(u.data(), dl.data(), a.data(), bm.data(), cm.data(), withZD ? d.data() : nullptr,
                                withZD ? z.data() : nullptr, db.data(), sp ? 1 : 0, h.data(), y.data(), l, e, n, e, 1);
    });
    const double ey = relerr(y, yw), eh = relerr(h, hw);
    const bool ok = ey <= 2e-5 && eh <= 2e-5;
    (ok ? passed : failed)++;
    printf("%s lanes B%d L%-3d E%-3d N%-2d %-3s %-8s: out %.2e state %.2e\n", ok ? "PASS" : "FAIL", b, l, e, n, withZD ? "z/D" : "-",
           sp ? "softplus" : "linear", ey, eh);
    fflush(stdout);
}

int main(int argc, char** argv)
{
    emu::parse_schedule(argc, argv);
    printf("warp order between block barriers: %s; cp.async copies land %s\n", emu::schedule_name(),
           emu::cp_at_issue() ? "when issued" : "at their wait");
    // Mamba-1: H = E (δ per channel), G = 1
    check(false, 2, 70, 40, 16, 40, 1, true, true, 1, true);
    check(false, 2, 70, 40, 16, 40, 1, true, true, 1, false);
    check(false, 2, 70, 40, 16, 40, 1, false, true, 3, false);
    check(false, 1, 45, 36, 5, 36, 1, true, false, 2, false);     // width 8
    check(false, 1, 45, 33, 40, 33, 1, true, true, 3, false);     // width 64
    check(false, 1, 1, 40, 16, 40, 1, true, true, 1, true);       // L = 1
    check(false, 1, 130, 160, 16, 160, 2, true, true, 1, true);  // two blocks of channels
    // SSD: heads of P channels share δ; B/C groups
    check(true, 2, 70, 48, 16, 6, 2, true, true, 1, true);
    check(true, 2, 70, 48, 16, 6, 2, true, true, 1, false);
    check(true, 2, 70, 48, 16, 6, 2, false, false, 3, false);
    check(true, 1, 45, 24, 8, 3, 1, true, true, 2, false);
    check(true, 1, 45, 24, 64, 3, 3, true, true, 3, false);
    check(true, 1, 45, 24, 64, 3, 3, true, true, 1, true);       // width 64 in one chunk: ssd_out1_n64
    check(true, 1, 100, 192, 16, 24, 1, true, true, 1, true);   // 24 heads of 8 in 128-channel blocks
    check(true, 1, 100, 192, 16, 24, 1, false, true, 4, false);  // the same cut into 4 chunks (ends mid-step)
    // the state pass on tensor cores: head dims off its 16- or 32-wide warp slices (8, 20, 40), N padded, chunks off its
    // 32-token steps, B/C groups, with and without softplus
    // 32-token steps, B/C groups, with and without softplus; every build (operands 1 or 2 steps ahead: chunks of
    // 1 to 7 steps end the walk at each of its exits)
    for (const MmaBuild& mb : MMA_BUILDS) {
        check(true, 1, 100, 192, 16, 24, 1, false, true, 4, false, &mb);
        check(true, 2, 70, 48, 16, 6, 2, false, false, 3, false, &mb);
        check(true, 1, 333, 128, 13, 2, 1, true, true, 3, false, &mb);
        check(true, 2, 150, 120, 16, 6, 3, true, true, 4, false, &mb);
        check(true, 1, 97, 64, 9, 1, 1, true, false, 5, false, &mb);
        check(true, 1, 400, 40, 16, 1, 1, true, true, 2, false, &mb);
        check(true, 1, 192, 64, 16, 2, 1, true, true, 2, false, &mb);
        check(true, 1, 150, 64, 64, 1, 1, true, true, 3, false, &mb);   // four state quarters (width 64)
        check(true, 2, 100, 96, 40, 3, 1, false, true, 4, false, &mb);  // three, the last half empty
    }
    // the output pass on tensor cores: L = 1, steps ending mid-chunk, P off the 64- and 16-wide blocks, N padded
    // (17, 40, 5), G = 2, one chunk (initial state in, final state out) and cut into chunks
    check_out_mma(1, 1, 1, 64, 64, 1, true, true, 1);
    check_out_mma(1, 100, 2, 64, 64, 1, true, true, 1);
    check_out_mma(2, 150, 2, 40, 40, 2, true, false, 3);
    check_out_mma(1, 97, 3, 24, 17, 1, false, true, 4);
    check_out_mma(1, 130, 2, 64, 64, 1, true, true, 5);
    check_out_mma(1, 70, 2, 20, 5, 1, true, true, 2);
    check_out_mma(2, 65, 3, 16, 16, 3, true, false, 1);
    // the backward state pass: chunks ending mid-step and mid-group (lengths 70, 45, 333, 100), shorter than a group (L 9
    // in 3 chunks), every width, several channel blocks and B/C groups; weak decay (no stop), strong decay (stops) and a
    // state without decay (no stop)
    for (int decay = 0; decay < 3; ++decay) {
        check_tail(false, 2, 70, 40, 16, 40, 1, true, 3, decay);
        check_tail(false, 1, 333, 160, 16, 160, 2, true, 2, decay);
        check_tail(false, 1, 45, 36, 5, 36, 1, false, 2, decay);     // width 8, δ used as is
        check_tail(false, 1, 100, 33, 40, 33, 1, true, 3, decay);    // width 64
        check_tail(false, 1, 9, 40, 16, 40, 1, true, 3, decay);
        check_tail(true, 2, 150, 48, 16, 6, 2, true, 2, decay);
        check_tail(true, 1, 100, 192, 16, 24, 1, false, 4, decay);
        check_tail(true, 1, 70, 24, 64, 3, 3, true, 2, decay);
    }
    // strong decay in chunks long enough to stop in, at the widths and forms the loop above gives only short chunks
    check_tail(false, 1, 400, 36, 5, 36, 1, false, 2, 1);
    check_tail(false, 1, 300, 33, 40, 33, 1, true, 2, 1);
    check_tail(true, 1, 400, 192, 16, 24, 1, false, 3, 1);
    check_tail(true, 1, 300, 24, 64, 3, 3, true, 2, 1);
    // states with A = -inf among weak decays
    check_tail(false, 1, 100, 40, 16, 40, 1, true, 3, 3);
    check_tail(true, 2, 150, 48, 16, 6, 2, true, 2, 3);
    // segment SSD: L around its 64-token tile, P off the 32-wide block, N padded, G = 2, forced chunks
    check_seg(1, 1, 1, 32, 16, 1, true, true, 0);
    check_seg(2, 65, 4, 33, 16, 2, true, false, 0);
    check_seg(1, 130, 2, 64, 13, 1, false, true, 0);
    check_seg(1, 200, 2, 40, 16, 2, true, true, 37);
    check_seg(2, 129, 3, 20, 5, 1, true, true, 64);
    // state-parallel scan: tiles of 32 tokens (L off and on them), channels off the 8-channel block, N padded
    check_lanes(1, 1, 8, 64, true, true);
    check_lanes(2, 100, 20, 40, true, true);
    check_lanes(1, 64, 16, 64, false, false);
    check_lanes(1, 130, 13, 17, true, false);
    printf("passed %d failed %d\n", passed, failed);
    return failed ? 1 : 0;
}
