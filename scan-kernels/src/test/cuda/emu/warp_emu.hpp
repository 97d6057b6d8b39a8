// CPU emulator for the CUDA kernels' warp-level logic: compiles kernel headers with the host compiler and
// runs every thread of a block as a fiber (ucontext), one block at a time, so that fragment layouts,
// ldmatrix lane addressing, barriers and index arithmetic can be checked on a machine without a GPU.
// It checks logic, not speed: one block runs at a time, global memory is host memory, and a warp
// collective completes only when all 32 lanes reach it (as mma.sync and ldmatrix require on the GPU). A
// barrier that not every thread reaches aborts with a message instead of hanging. Between two block
// barriers each warp runs whole, the warps in a chosen order (Schedule): run in several orders, a read of
// another warp's shared data that no barrier orders gets different data, so missing barriers show as
// wrong results. Races inside a warp between two of its collectives, and between blocks, are not modelled.
//
// What is emulated: static and dynamic shared memory, threadIdx/blockIdx/blockDim/gridDim, __syncthreads,
// __syncthreads_or, __syncwarp, __shfl_{sync,up,down,xor}, bf16 conversions (round to nearest even), the
// intrinsics of mma_frag.cuh (ldmatrix x4/x2/.trans, mma.sync m16n8k16 bf16 -> fp32), tf32.cuh's mma.sync
// m16n8k8 tf32 (its layout is the one the H100-verified 3xTF32 GEMM and SSD experiment use), the cp.async
// helpers of cp_async.cuh (a copy lands when a wait_group covers it, or with --cp-at-issue when issued) and
// scan_lanes.cuh (each copy done when issued), in include/mma.h, WMMA 16 × 16 × 16 bf16 fragments, and in
// wgmma_emu.hpp the bf16 wgmma products of wgmma_bf16.cuh. The mma.sync and ldmatrix layouts follow
// the PTX ISA; mlstm_emu.cpp anchors them to the hardware by running the bf16 GEMM (gemm_mma.cuh,
// verified on an H100) through the emulator.
//
// Glossary: T threads per block, W = T/32 warps, lane = thread % 32.
#pragma once
#define SL_WARP_EMU 1

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>
#include <ucontext.h>

#define __device__
#define __host__
#define __global__
#define __forceinline__ inline
// one block runs at a time, so a static shared array is one static array for all of its threads
#define __shared__ static
#define SL_EXTERN_SHARED extern
#define __constant__
#define __restrict__
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct float2 { float x, y; };
struct float4 { float x, y, z, w; };
struct uint2 { unsigned x, y; };
struct uint4 { unsigned x, y, z, w; };
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { return {a, b, c, d}; }
inline float2 make_float2(float a, float b) { return {a, b}; }
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
template <class T> inline T __ldg(const T* p) { return *p; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }
using std::exp2f; using std::log1pf; using std::fminf;
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
using std::exp; using std::log1p; using std::fabs; using std::fmin; using std::fmax; using std::isinf;

// ---------------------------------------------------------------- bf16 (bit patterns, nearest even)
struct __nv_bfloat16 { uint16_t x; };
struct __nv_bfloat162 { __nv_bfloat16 x, y; };
inline __nv_bfloat16 __float2bfloat16_rn(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return {(uint16_t)((u >> 16) | 0x40)};   // NaN stays NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return {(uint16_t)(u >> 16)};
}
inline float __bfloat162float(__nv_bfloat16 b)
{
    const uint32_t u = (uint32_t)b.x << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline __nv_bfloat162 __floats2bfloat162_rn(float lo, float hi) { return {__float2bfloat16_rn(lo), __float2bfloat16_rn(hi)}; }

// ---------------------------------------------------------------- fibers and barriers
namespace emu {
// A cp.async copy of cp_async.cuh in flight: its source read at issue (global memory does not change under a
// kernel), its bytes landing in shared memory only when a wait covers its group.
struct PendingCopy {
    unsigned char* dst;
    unsigned char data[16];
    int bytes;
};
struct Fiber {
    ucontext_t ctx;
    std::vector<PendingCopy> cpOpen;                 // issued since the last commit
    std::vector<std::vector<PendingCopy>> cpGroups;  // committed, oldest first
    std::vector<char> stack;
    bool done = false;
    bool atBlockBarrier = false;   // waiting for the other warps at __syncthreads (of generation waitGen)
    unsigned waitGen = 0;
    unsigned tid = 0;
};
struct Block {
    std::vector<Fiber> fibers;
    ucontext_t sched;
    int current = -1;
    unsigned nthreads = 0;
    // block barrier and per-warp barriers: arrivals and generation
    unsigned blockArrived = 0, blockGen = 0;
    bool blockVotes[2] = {false, false};     // __syncthreads_or of generations with even and odd numbers
    std::vector<unsigned> warpArrived, warpGen;
    std::vector<unsigned char> exchange;    // per warp: 32 lanes × SLOT bytes
    unsigned long long progress = 0;        // barriers passed + fibers finished
    std::function<void()> body;
    const unsigned char* smem = nullptr;    // this launch's dynamic shared memory and its size
    size_t smemBytes = 0;
};
// Order in which the scheduler resumes the threads of a block between barriers: a read that a missing
// barrier leaves racing with another thread's write sees the old value in one order and the new one in the
// other, so running the same checks in several orders turns such races into wrong results.
enum class Schedule { FORWARD, REVERSE, SHUFFLED };
inline Schedule& schedule() { static Schedule s = Schedule::FORWARD; return s; }
// When cp_async.cuh's copies land: at the wait that covers them (default: a read before its wait sees stale data)
// or at issue (--cp-at-issue: a copy issued into a buffer that some thread still reads overwrites it early).
inline bool& cp_at_issue() { static bool b = false; return b; }
// Reads --schedule forward|reverse|shuffled from a check's arguments (default forward).
inline void parse_schedule(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--cp-at-issue") == 0) cp_at_issue() = true;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--schedule") == 0) {
            const char* v = argv[i + 1];
            schedule() = std::strcmp(v, "reverse") == 0 ? Schedule::REVERSE
                       : std::strcmp(v, "shuffled") == 0 ? Schedule::SHUFFLED : Schedule::FORWARD;
            if (schedule() == Schedule::FORWARD && std::strcmp(v, "forward") != 0) {
                fprintf(stderr, "emu: --schedule must be forward, reverse or shuffled, got %s\n", v);
                exit(2);
            }
        }
}
inline const char* schedule_name()
{
    return schedule() == Schedule::REVERSE ? "reverse" : schedule() == Schedule::SHUFFLED ? "shuffled" : "forward";
}
constexpr size_t SLOT = 128;   // bytes a lane publishes per collective (a WMMA mma: 96)
inline Block& blk() { static Block b; return b; }
}  // namespace emu

inline dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace emu {
inline void yield() { Block& b = blk(); swapcontext(&b.fibers[b.current].ctx, &b.sched); }

inline void fiber_main()
{
    Block& b = blk();
    b.body();
    Fiber& f = b.fibers[b.current];
    // copies no wait covered land when the thread ends (the GPU completes them some time before the grid ends)
    for (auto& g : f.cpGroups)
        for (auto& c : g) std::memcpy(c.dst, c.data, (size_t)c.bytes);
    for (auto& c : f.cpOpen) std::memcpy(c.dst, c.data, (size_t)c.bytes);
    f.cpGroups.clear();
    f.cpOpen.clear();
    f.done = true;
    ++b.progress;
    // returning switches to uc_link (the scheduler)
}

// Returns whether any thread of the block arrived with vote set (__syncthreads_or). The votes of generation
// g collect in slot g & 1; the last arrival clears the other slot, which no thread reads any more: every
// thread read it before arriving here.
inline bool block_barrier(bool vote = false)
{
    Block& b = blk();
    const unsigned gen = b.blockGen;
    ++b.progress;   // an arrival is progress; a waiting thread that is resumed and waits on is not
    b.blockVotes[gen & 1] |= vote;
    if (++b.blockArrived == b.nthreads) {
        b.blockArrived = 0;
        b.blockVotes[(gen + 1) & 1] = false;
        ++b.blockGen;
        return b.blockVotes[gen & 1];
    }
    Fiber& f = b.fibers[b.current];
    f.atBlockBarrier = true;
    f.waitGen = gen;
    while (b.blockGen == gen) yield();
    f.atBlockBarrier = false;
    return b.blockVotes[gen & 1];
}

inline void warp_barrier()
{
    Block& b = blk();
    const unsigned w = threadIdx.x / 32;
    const unsigned gen = b.warpGen[w];
    ++b.progress;
    if (++b.warpArrived[w] == 32) { b.warpArrived[w] = 0; ++b.warpGen[w]; return; }
    while (b.warpGen[w] == gen) yield();
}

// Each lane publishes `mine`; f(all) runs once every lane of the warp has published; slots are reused only
// after every lane has read them.
template <class T, class F>
inline auto warp_collective(const T& mine, F f)
{
    static_assert(sizeof(T) <= SLOT, "exchange slot too small");
    Block& b = blk();
    const unsigned w = threadIdx.x / 32, lane = threadIdx.x % 32;
    unsigned char* base = b.exchange.data() + (size_t)w * 32 * SLOT;
    std::memcpy(base + lane * SLOT, &mine, sizeof(T));
    warp_barrier();
    T all[32];
    for (int l = 0; l < 32; ++l) std::memcpy(&all[l], base + l * SLOT, sizeof(T));
    auto r = f(all, lane);
    warp_barrier();
    return r;
}

// Runs body() as every thread of every block of the grid, one block at a time. smem (poison_bytes long) is
// filled with 0xff (NaN in fp32 and bf16) before each block, so reads of unwritten shared memory show.
inline void launch(dim3 grid, dim3 block, void* smem, size_t poison_bytes, std::function<void()> body)
{
    Block& b = blk();
    b.nthreads = block.x * block.y * block.z;
    if (block.y != 1 || block.z != 1 || b.nthreads % 32) { fprintf(stderr, "emu: 1-D blocks of whole warps only\n"); abort(); }
    constexpr size_t STACK = 256 * 1024;
    if (b.fibers.size() != b.nthreads) {
        b.fibers = std::vector<Fiber>(b.nthreads);
        for (auto& f : b.fibers) f.stack.resize(STACK);
    }
    b.warpArrived.assign(b.nthreads / 32, 0);
    b.warpGen.assign(b.nthreads / 32, 0);
    b.exchange.assign((size_t)b.nthreads / 32 * 32 * SLOT, 0);
    b.body = std::move(body);
    b.smem = static_cast<const unsigned char*>(smem);
    b.smemBytes = poison_bytes;
    gridDim = grid;
    blockDim = block;
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
                blockIdx = dim3(x, y, z);
                if (smem) std::memset(smem, 0xff, poison_bytes);
                b.blockArrived = 0;
                b.blockVotes[0] = b.blockVotes[1] = false;
                for (unsigned t = 0; t < b.nthreads; ++t) {
                    Fiber& f = b.fibers[t];
                    f.done = false;
                    f.tid = t;
                    getcontext(&f.ctx);
                    f.ctx.uc_stack.ss_sp = f.stack.data();
                    f.ctx.uc_stack.ss_size = f.stack.size();
                    f.ctx.uc_link = &b.sched;
                    makecontext(&f.ctx, (void (*)())fiber_main, 0);
                }
                // One warp at a time: a warp runs (its lanes taking turns, so its collectives complete) until
                // every lane waits at __syncthreads or has finished, then the next warp in the schedule's order.
                // Between two block barriers each warp thus runs whole before or after each other warp, which
                // is what exposes a read of another warp's data that no barrier orders.
                const unsigned nw = b.nthreads / 32;
                std::vector<unsigned> worder(nw), lorder(32);
                for (unsigned w = 0; w < nw; ++w) worder[w] = schedule() == Schedule::REVERSE ? nw - 1 - w : w;
                for (unsigned l = 0; l < 32; ++l) lorder[l] = schedule() == Schedule::REVERSE ? 31 - l : l;
                unsigned long long rs = 0x9e3779b97f4a7c15ull ^ ((unsigned long long)x << 20 ^ (unsigned long long)y << 40 ^ z);
                auto shuffle = [&](std::vector<unsigned>& v) {   // Fisher-Yates with xorshift
                    for (size_t i = v.size() - 1; i > 0; --i) {
                        rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
                        std::swap(v[i], v[rs % (i + 1)]);
                    }
                };
                unsigned live = b.nthreads;
                while (live) {
                    const unsigned long long before = b.progress;
                    if (schedule() == Schedule::SHUFFLED) shuffle(worder);
                    for (unsigned w : worder) {
                        for (;;) {   // until this warp can go no further on its own
                            const unsigned long long mark = b.progress;
                            bool ran = false;
                            if (schedule() == Schedule::SHUFFLED) shuffle(lorder);
                            for (unsigned l : lorder) {
                                const unsigned t = w * 32 + l;
                                Fiber& f = b.fibers[t];
                                if (f.done || (f.atBlockBarrier && f.waitGen == b.blockGen)) continue;
                                b.current = (int)t;
                                threadIdx = dim3(t);
                                swapcontext(&b.sched, &f.ctx);
                                ran = true;
                            }
                            if (!ran || b.progress == mark) break;
                        }
                    }
                    live = 0;
                    for (unsigned t = 0; t < b.nthreads; ++t) live += b.fibers[t].done ? 0 : 1;
                    if (live && b.progress == before) {
                        fprintf(stderr, "emu: deadlock in block (%u,%u,%u): %u threads wait at a barrier the others never reach\n",
                                x, y, z, live);
                        abort();
                    }
                }
            }
}
}  // namespace emu

inline void __syncthreads() { emu::block_barrier(); }
inline int __syncthreads_or(int p) { return emu::block_barrier(p != 0) ? 1 : 0; }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::warp_barrier(); }

template <class T>
inline T __shfl_sync(unsigned, T v, int src)
{
    return emu::warp_collective(v, [&](const T* all, unsigned) { return all[src & 31]; });
}
template <class T>
inline T __shfl_up_sync(unsigned, T v, unsigned d)
{
    return emu::warp_collective(v, [&](const T* all, unsigned lane) { return lane >= d ? all[lane - d] : all[lane]; });
}
template <class T>
inline T __shfl_down_sync(unsigned, T v, unsigned d)
{
    return emu::warp_collective(v, [&](const T* all, unsigned lane) { return lane + d < 32 ? all[lane + d] : all[lane]; });
}
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int m)
{
    return emu::warp_collective(v, [&](const T* all, unsigned lane) { return all[(lane ^ (unsigned)m) & 31]; });
}

// ---------------------------------------------------------------- mma_frag.cuh and cp_async.cuh in software
namespace sl {
namespace emu_detail {
inline unsigned word(const __nv_bfloat16* p) { return (unsigned)p[0].x | ((unsigned)p[1].x << 16); }
inline unsigned pair(__nv_bfloat16 lo, __nv_bfloat16 hi) { return (unsigned)lo.x | ((unsigned)hi.x << 16); }
struct Regs4 { unsigned r[4]; };
struct Regs2 { unsigned r[2]; };
// Matrix i of an ldmatrix: row j at the address of lane 8i + j. Without .trans lane l receives row l/4,
// elements 2(l%4), 2(l%4)+1; with .trans the elements (2(l%4), l/4) and (2(l%4)+1, l/4) of the stored matrix.
inline unsigned ld_elem(const __nv_bfloat16* const* rows, int i, unsigned lane, bool trans)
{
    const int g = lane / 4, q = lane % 4;
    if (!trans) return word(rows[8 * i + g] + 2 * q);
    return pair(rows[8 * i + 2 * q][g], rows[8 * i + 2 * q + 1][g]);
}
// ldmatrix rows: 16 bytes, 16-byte aligned, inside the launch's shared memory
inline void check_row(const __nv_bfloat16* p)
{
    const emu::Block& b = emu::blk();
    const unsigned char* c = reinterpret_cast<const unsigned char*>(p);
    if (((uintptr_t)c & 15) != 0 || !b.smem || c < b.smem || c + 16 > b.smem + b.smemBytes) {
        fprintf(stderr, "emu: ldmatrix row address %p misaligned or outside shared memory [%p, +%zu) (thread %u)\n", (const void*)c,
                (const void*)b.smem, b.smemBytes, threadIdx.x);
        abort();
    }
}
template <int N>
inline void ldsm(unsigned* out, const __nv_bfloat16* p, bool trans)
{
    if ((int)(threadIdx.x % 32) < 8 * N) check_row(p);
    struct R { unsigned r[N]; };
    R res = emu::warp_collective(p, [&](const __nv_bfloat16* const* all, unsigned lane) {
        R x;
        for (int i = 0; i < N; ++i) x.r[i] = ld_elem(all, i, lane, trans);
        return x;
    });
    for (int i = 0; i < N; ++i) out[i] = res.r[i];
}
struct MmaIn { unsigned a[4], b0, b1; float c[4]; };
}  // namespace emu_detail

inline void ldsm_x4(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const __nv_bfloat16* p)
{
    unsigned o[4];
    emu_detail::ldsm<4>(o, p, false);
    r0 = o[0]; r1 = o[1]; r2 = o[2]; r3 = o[3];
}
inline void ldsm_x4_t(unsigned& r0, unsigned& r1, unsigned& r2, unsigned& r3, const __nv_bfloat16* p)
{
    unsigned o[4];
    emu_detail::ldsm<4>(o, p, true);
    r0 = o[0]; r1 = o[1]; r2 = o[2]; r3 = o[3];
}
inline void ldsm_x2(unsigned& r0, unsigned& r1, const __nv_bfloat16* p)
{
    unsigned o[2];
    emu_detail::ldsm<2>(o, p, false);
    r0 = o[0]; r1 = o[1];
}

// D (16 × 8) = A (16 × 16) · B (16 × 8) + C, fp32 accumulation in k order.
inline void mma_bf16(float* d, const unsigned* a, unsigned b0, unsigned b1)
{
    using emu_detail::MmaIn;
    MmaIn in;
    for (int i = 0; i < 4; ++i) { in.a[i] = a[i]; in.c[i] = d[i]; }
    in.b0 = b0; in.b1 = b1;
    struct Out { float d[4]; };
    Out o = emu::warp_collective(in, [](const MmaIn* all, unsigned lane) {
        auto lo = [](unsigned w) { return __bfloat162float({(uint16_t)(w & 0xffff)}); };
        auto hi = [](unsigned w) { return __bfloat162float({(uint16_t)(w >> 16)}); };
        float A[16][16], B[16][8], C[16][8];
        for (int l = 0; l < 32; ++l) {
            const int g = l / 4, q = l % 4;
            const MmaIn& x = all[l];
            A[g][2 * q] = lo(x.a[0]);     A[g][2 * q + 1] = hi(x.a[0]);
            A[g + 8][2 * q] = lo(x.a[1]); A[g + 8][2 * q + 1] = hi(x.a[1]);
            A[g][2 * q + 8] = lo(x.a[2]); A[g][2 * q + 9] = hi(x.a[2]);
            A[g + 8][2 * q + 8] = lo(x.a[3]); A[g + 8][2 * q + 9] = hi(x.a[3]);
            B[2 * q][g] = lo(x.b0);     B[2 * q + 1][g] = hi(x.b0);
            B[2 * q + 8][g] = lo(x.b1); B[2 * q + 9][g] = hi(x.b1);
            C[g][2 * q] = x.c[0]; C[g][2 * q + 1] = x.c[1];
            C[g + 8][2 * q] = x.c[2]; C[g + 8][2 * q + 1] = x.c[3];
        }
        const int g = lane / 4, q = lane % 4;
        Out r;
        for (int e = 0; e < 4; ++e) {
            const int row = g + 8 * (e / 2), col = 2 * q + (e % 2);
            float acc = C[row][col];
            for (int k = 0; k < 16; ++k) acc = std::fma(A[row][k], B[k][col], acc);
            r.d[e] = acc;
        }
        return r;
    });
    for (int i = 0; i < 4; ++i) d[i] = o.d[i];
}

}  // namespace sl

// tf32.cuh's mma.sync m16n8k8 tf32 (fragment layouts there): the tensor core reads the top 19 bits of each
// operand word (the low 13 dropped); the sum of the 8 exact products and C is rounded to fp32 once (the
// hardware's own rounding of the accumulation differs in the last bit, which the checks' tolerances cover).
namespace sltf {
inline void mma_tf32(float* d, const unsigned* a, const unsigned* b)
{
    struct In { unsigned a[4], b[2]; float c[4]; };
    In in;
    for (int i = 0; i < 4; ++i) { in.a[i] = a[i]; in.c[i] = d[i]; }
    in.b[0] = b[0]; in.b[1] = b[1];
    struct Out { float d[4]; };
    Out o = emu::warp_collective(in, [](const In* all, unsigned lane) {
        auto v = [](unsigned w) { return (double)__uint_as_float(w & 0xffffe000u); };
        double A[16][8], B[8][8], C[16][8];
        for (int l = 0; l < 32; ++l) {
            const int g = l / 4, t = l % 4;
            const In& x = all[l];
            A[g][t] = v(x.a[0]); A[g + 8][t] = v(x.a[1]); A[g][t + 4] = v(x.a[2]); A[g + 8][t + 4] = v(x.a[3]);
            B[t][g] = v(x.b[0]); B[t + 4][g] = v(x.b[1]);
            C[g][2 * t] = x.c[0]; C[g][2 * t + 1] = x.c[1]; C[g + 8][2 * t] = x.c[2]; C[g + 8][2 * t + 1] = x.c[3];
        }
        const int g = lane / 4, t = lane % 4;
        Out r;
        for (int e = 0; e < 4; ++e) {
            const int row = g + 8 * (e / 2), col = 2 * t + (e % 2);
            double acc = C[row][col];
            for (int k = 0; k < 8; ++k) acc += A[row][k] * B[k][col];
            r.d[e] = (float)acc;
        }
        return r;
    });
    for (int i = 0; i < 4; ++i) d[i] = o.d[i];
}
}  // namespace sltf

namespace sl {
// cp_async.cuh's copies land only at the wait that covers their group (cp.async.wait_group semantics: all but
// the newest N committed groups; copies not yet committed are not waited for), so a read of shared memory
// before its wait sees the poison or the previous contents, as it may on the GPU; with --cp-at-issue they land
// when issued, the other end of what the GPU may do.
template <int BYTES>
inline void sl_cp(float* dst, const float* src, bool valid)
{
    static_assert(BYTES <= 16, "cp.async copies at most 16 bytes");
    emu::PendingCopy c{reinterpret_cast<unsigned char*>(dst), {}, BYTES};
    if (valid) std::memcpy(c.data, src, BYTES);
    if (emu::cp_at_issue()) {
        std::memcpy(dst, c.data, BYTES);
        return;
    }
    emu::Block& b = emu::blk();
    b.fibers[b.current].cpOpen.push_back(c);
}
inline void sl_cp_commit()
{
    emu::Block& b = emu::blk();
    emu::Fiber& f = b.fibers[b.current];
    f.cpGroups.push_back(std::move(f.cpOpen));
    f.cpOpen.clear();
}
template <int N>
inline void sl_cp_wait()
{
    emu::Block& b = emu::blk();
    emu::Fiber& f = b.fibers[b.current];
    while (f.cpGroups.size() > (size_t)N) {
        for (auto& c : f.cpGroups.front()) std::memcpy(c.dst, c.data, (size_t)c.bytes);
        f.cpGroups.erase(f.cpGroups.begin());
    }
}
inline void sl_cp_wait_all() { sl_cp_wait<0>(); }

// scan_lanes.cuh's cp.async helpers: 4 bytes or none; 16 bytes of which `bytes` are read, the rest zeroed
inline void cp_async4(float* dst, const float* src, bool valid) { *dst = valid ? *src : 0.f; }
inline void cp_async16(float* dst, const float* src, int bytes)
{
    std::memset(dst, 0, 16);
    if (bytes > 0) std::memcpy(dst, src, (size_t)bytes);
}
inline void cp_async_commit() {}
template <int K> inline void cp_async_wait() {}
}  // namespace sl
