// fp32 GEMM at fp32 accuracy (3xTF32, as gemm_tf32.cuh) on wgmma, sm_90a only: y (M, NO) = x (M, K) · w (NO, K)ᵀ + b (NO).
// Same contract and precision as gemm_nt_tf32x3: every operand v is split into hi = tf32(v) and lo = tf32(v − hi)
// (both rounded to nearest), a product is lo_x·hi_w + hi_x·lo_w + hi_x·hi_w, and the accumulator is flushed into
// an fp32 total with rounded adds after every 32-deep stage (the tensor core truncates when it accumulates).
//
// Glossary: M rows, K input width (K % 4 == 0: 16-byte rows), NO output width; a block computes 128 × 128 outputs
// with two warpgroups of 64 rows (wgmma m64n128k8 .tf32, 64 fp32 accumulators per thread), K in stages of 32.
// Shared memory per stage (4 stages, cp.async, 48 KB each): x (128 × 32 fp32) in the no-swizzle core-matrix
// layout (element (r, k) at float ((r / 8) · 8 + k / 4) · 32 + (r % 8) · 4 + k % 4), read by the threads as
// wgmma's A operand from registers and split there; w_hi and w_lo (128 × 32 each) in the 128-byte-swizzled
// K-major layout wgmma reads as its B operand (row r at r · 128 bytes, its 16-byte chunk c at position c ^ (r % 8);
// the step's K offset goes on the descriptor's start address, the hardware applies the XOR; each stage starts
// 1024-byte aligned). The swizzle matters: with w in the no-swizzle layout the same kernel ran at the mma.sync
// kernel's speed (NOTES.md, "The 3xTF32 GEMM on wgmma"). While one stage's products run, the next stage is
// split and the one after is copied. Checked against a float64 reference by src/test/cuda/gemm_wgmma_check.cu
// and by the conformance suite through CudaOps (Fp32Gemm.WGMMA).
//
// Only the sm_90a build of the fatbin has wgmma: the kernel traps in the sm_90 build, and sm90a_probe tells the
// backend which build the driver loaded (CudaOps launches this kernel only where the probe wrote 1).
#pragma once
#include <cstdint>
#include "common.cuh"
#include "cp_async.cuh"
#include "mma_store.cuh"
#include "tf32.cuh"
#include "wgmma_bf16.cuh"   // slwg::desc_k

namespace sltw {
constexpr int BM = 128, BN = 128, BK = 32, STAGES = 4;
constexpr int TILE = 128 * BK;                  // floats of one operand tile
constexpr int STAGE = 3 * TILE;                 // x, w_hi, w_lo
constexpr int SMEM_BYTES = STAGES * STAGE * 4;  // 196,608 bytes

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// v rounded to tf32 as a float (tf32.cuh's rounding)
__device__ __forceinline__ float tf32r(float v) { return __uint_as_float(sltf::tf32(v)); }

// B operand descriptor: K-major, 128-byte swizzle (the layout is bytes, so the bf16 kernels' descriptor serves fp32)
using slwg::desc_k;

// d (+)= A · B for this warpgroup's 64 rows: A (64 × 8) from registers (per warp the m16n8k8 A fragment:
// a0 = (g, q), a1 = (g + 8, q), a2 = (g, q + 4), a3 = (g + 8, q + 4)), B (8 × 128) through its descriptor
__device__ __forceinline__ void mma(float (&d)[64], const unsigned (&a)[4], uint64_t db, int scaleD)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(scaleD));
}
__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
// shared-memory writes of the threads made visible to wgmma's reads (the async proxy)
__device__ __forceinline__ void proxy_fence() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// w of a landed stage split in place: hi over the fp32 values, lo in the next tile (elementwise: any layout)
__device__ __forceinline__ void split_w(float* st, int tid)
{
#pragma unroll
    for (int i = 0; i < TILE / 4 / 256; ++i) {
        float* hp = st + TILE + (tid + i * 256) * 4;
        float4 v = *reinterpret_cast<float4*>(hp), h, l;
        h.x = tf32r(v.x); h.y = tf32r(v.y); h.z = tf32r(v.z); h.w = tf32r(v.w);
        l.x = tf32r(v.x - h.x); l.y = tf32r(v.y - h.y); l.z = tf32r(v.z - h.z); l.w = tf32r(v.w - h.w);
        *reinterpret_cast<float4*>(hp) = h;
        *reinterpret_cast<float4*>(hp + TILE) = l;
    }
}

__device__ __forceinline__ void gemm(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                                     float* __restrict__ y, int M, int NO, int K)
{
    SL_EXTERN_SHARED __align__(1024) float smw[];
    const int tid = threadIdx.x, wgi = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
    const int g = lane >> 2, q = lane & 3;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    auto copy = [&](int tile, int st) {
        float* xs = smw + st * STAGE;
        float* ws = xs + TILE;
        const int k0 = tile * BK;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int idx = tid + i * 256, r = idx >> 3, c4 = idx & 7, kc = c4 * 4;
            const bool kv = k0 + kc < K;
            const bool vx = kv && m0 + r < M, vw = kv && n0 + r < NO;
            sl::sl_cp<16>(xs + ((r >> 3) * 8 + c4) * 32 + (r & 7) * 4, vx ? x + (size_t)(m0 + r) * K + k0 + kc : x, vx);
            sl::sl_cp<16>(ws + r * 32 + ((c4 ^ (r & 7)) << 2), vw ? w + (size_t)(n0 + r) * K + k0 + kc : w, vw);
        }
    };
    const int nk = (K + BK - 1) / BK;
    constexpr int AHEAD = STAGES - 2;   // stages being copied while one computes and the next is split
#pragma unroll
    for (int s = 0; s < AHEAD; ++s) {
        if (s < nk) copy(s, s);
        sl::sl_cp_commit();
    }
    asm volatile("cp.async.wait_group %0;\n" :: "n"(AHEAD - 1));
    __syncthreads();
    split_w(smw, tid);
    proxy_fence();
    __syncthreads();
    float tot[64], acc[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) tot[i] = 0.f;
    const int rg = (wgi * 64 + warp * 16) >> 3;   // this warp's first row group in the x tile
    for (int t = 0; t < nk; ++t) {
        const float* st = smw + (t % STAGES) * STAGE;
        unsigned ah[BK / 8][4], al[BK / 8][4];
#pragma unroll
        for (int ks = 0; ks < BK / 8; ++ks) {
            const float* p0 = st + (rg * 8 + 2 * ks) * 32 + g * 4 + q;
            const float v[4] = {p0[0], p0[8 * 32], p0[32], p0[8 * 32 + 32]};
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                const float h = tf32r(v[c]);
                ah[ks][c] = __float_as_uint(h);
                al[ks][c] = __float_as_uint(tf32r(v[c] - h));
            }
        }
        const float* wh = st + TILE;
        const float* wl = wh + TILE;
        fence();
#pragma unroll
        for (int ks = 0; ks < BK / 8; ++ks) {
            mma(acc, al[ks], desc_k(wh + ks * 8), ks > 0);   // the stage's first product overwrites acc
            mma(acc, ah[ks], desc_k(wl + ks * 8), 1);
            mma(acc, ah[ks], desc_k(wh + ks * 8), 1);
        }
        commit();
        // the stage refilled here was last read by the products of t − 2, complete before an earlier barrier
        if (t + AHEAD < nk) copy(t + AHEAD, (t + AHEAD) % STAGES);
        sl::sl_cp_commit();
        if (t + 1 < nk) {
            asm volatile("cp.async.wait_group %0;\n" :: "n"(AHEAD - 1));
            __syncthreads();
            split_w(smw + ((t + 1) % STAGES) * STAGE, tid);
            proxy_fence();
        }
        wait0();
#pragma unroll
        for (int i = 0; i < 64; ++i) tot[i] += acc[i];
        __syncthreads();
    }
    sl::sl_cp_wait_all();
    // accumulator layout per warp (rows 16·warp .. +15 of the warpgroup's 64): n8 block j as an mma.sync C fragment
    float (&t4)[1][16][4] = *reinterpret_cast<float (*)[1][16][4]>(tot);
    sl::store_mma_tiles(t4, y, bias, M, NO, m0 + wgi * 64 + warp * 16, n0, lane);
}
#endif
}  // namespace sltw

// blockDim.x = 256, grid (⌈NO/128⌉, ⌈M/128⌉), dynamic shared memory gemm_nt_tf32x3_wgmma_smem bytes; K % 4 == 0.
extern "C" { __constant__ int gemm_nt_tf32x3_wgmma_smem = sltw::SMEM_BYTES; }

extern "C" __global__ void __launch_bounds__(256, 1) gemm_nt_tf32x3_wgmma(const float* x, const float* w, const float* bias,
                                                                          float* y, int M, int NO, int K)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    sltw::gemm(x, w, bias, y, M, NO, K);
#else
    __trap();
#endif
}

// out[0] = 1 where the driver loaded the sm_90a build (wgmma available), 0 in the sm_90 or PTX build.
extern "C" __global__ void sm90a_probe(int* out)
{
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    out[0] = 1;
#else
    out[0] = 0;
#endif
}
