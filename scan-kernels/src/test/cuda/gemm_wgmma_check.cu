// Standalone check and timing of 3xTF32 GEMMs on wgmma (sm_90a) next to gemm_tf32.cuh's mma.sync kernel, on a
// GPU machine without Java: y (M, NO) = x (M, K) · w (NO, K)ᵀ + b, against a float64 host reference on sampled rows
// (tolerance 1e-5 of max|y|, the conformance suite's). Not in the fatbin: an experiment toward the fp32 GEMM's
// next form (NOTES.md, "The 3xTF32 GEMM on wgmma: tried"). Every build passed every shape (worst 9.6e-7) and
// ran at the mma.sync kernel's speed, not past it (H100, TFLOP/s of 3xTF32 at the four large shapes): both
// operands split in shared memory 48-51 serialized, 57-62 with the next stage's split under this stage's
// products; gemm3 (A from registers) 58-65; gemm4 64-deep stages 52-54, 4 stages 58-64; mma.sync 61-64.
// Build and run: nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a -o /tmp/gw gemm_wgmma_check.cu && /tmp/gw
//
// Glossary: BM × BN = 128 × 128 outputs per block, two warpgroups of 64 rows each, BK = 32 K per stage.
// Shared memory per stage: x, w_hi, w_lo (128 rows × 32 floats each) in the no-swizzle "core matrix"
// layout wgmma reads for K-major operands: 8 rows × 16 bytes per core matrix, element (r, k) at byte
// ((r / 8) · 8 + k / 4) · 128 + (r % 8) · 16 + (k % 4) · 4, so core matrices adjacent in K are 128 bytes apart
// (the descriptor's leading byte offset) and those adjacent in rows 1024 (its stride byte offset).
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cmath>
#include <vector>
#include <algorithm>
#include <cuda_runtime.h>
#include "../../main/cuda/common.cuh"
#include "../../main/cuda/gemm_tf32.cuh"

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); exit(1); } } while (0)

namespace wg {
constexpr int BM = 128, BN = 128, BK = 32;
constexpr int TILE = 128 * BK;                 // floats of one operand tile

__device__ __forceinline__ uint32_t core_off(int r, int c4) { return (uint32_t)(((r >> 3) * 8 + c4) * 128 + (r & 7) * 16); }

// K-major operand tile in the no-swizzle layout: next core matrix along K 128 bytes on (leading byte offset),
// next 8 rows sbo bytes on (stride byte offset); base offset 0
__device__ __forceinline__ uint64_t desc(const float* p, uint32_t sbo = 1024)
{
    const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
    return (uint64_t)((a & 0x3FFFF) >> 4) | (uint64_t)(128 >> 4) << 16 | (uint64_t)(sbo >> 4) << 32;
}

__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
__device__ __forceinline__ void proxy_fence() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

__device__ __forceinline__ float tf32r(float v) { return __uint_as_float((__float_as_uint(v) + 0x1000u) & 0xffffe000u); }


// gemm3: A (x) from registers, split there; only w's hi and lo in shared memory (a third less operand traffic
// per product through shared memory). Stage: x (fp32) then w_hi, w_lo, 128 × 32 floats each, core-matrix layout.
constexpr int STAGE3 = 3 * TILE, STAGES3 = 4, SMEM3 = STAGES3 * STAGE3 * 4;   // 196,608 bytes

__device__ __forceinline__ void mma_ra(float (&d)[64], const unsigned (&a)[4], uint64_t db, int scaleD)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %70, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "n"(0), "r"(scaleD));
}

__device__ __forceinline__ void split_w(float* st, int tid)
{
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        float* hp = st + TILE + (tid + i * 256) * 4;
        float4 v = *reinterpret_cast<float4*>(hp), h, l;
        h.x = tf32r(v.x); h.y = tf32r(v.y); h.z = tf32r(v.z); h.w = tf32r(v.w);
        l.x = tf32r(v.x - h.x); l.y = tf32r(v.y - h.y); l.z = tf32r(v.z - h.z); l.w = tf32r(v.w - h.w);
        *reinterpret_cast<float4*>(hp) = h;
        *reinterpret_cast<float4*>(hp + TILE) = l;
    }
}

__global__ void __launch_bounds__(256, 1) gemm3(const float* __restrict__ x, const float* __restrict__ w,
                                                const float* __restrict__ bias, float* __restrict__ y, int M, int NO, int K)
{
    extern __shared__ __align__(128) float sm[];
    const int tid = threadIdx.x, wgi = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
    const int g = lane >> 2, q = lane & 3;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    auto copy = [&](int tile, int st) {
        float* xs = sm + st * STAGE3;
        float* ws = xs + TILE;
        const int k0 = tile * BK;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int idx = tid + i * 256, r = idx >> 3, c4 = idx & 7, kc = c4 * 4;
            const bool kv = k0 + kc < K;
            const bool vx = kv && m0 + r < M, vw = kv && n0 + r < NO;
            const uint32_t o = core_off(r, c4) / 4;
            sl::sl_cp<16>(xs + o, vx ? x + (size_t)(m0 + r) * K + k0 + kc : x, vx);
            sl::sl_cp<16>(ws + o, vw ? w + (size_t)(n0 + r) * K + k0 + kc : w, vw);
        }
    };
    const int nk = (K + BK - 1) / BK;
#pragma unroll
    for (int s = 0; s < STAGES3 - 2; ++s) {
        if (s < nk) copy(s, s);
        sl::sl_cp_commit();
    }
    asm volatile("cp.async.wait_group %0;\n" :: "n"(STAGES3 - 3));
    __syncthreads();
    split_w(sm, tid);
    proxy_fence();
    __syncthreads();
    float tot[64], acc[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) tot[i] = 0.f;
    // this lane's A rows in the stage's x tile: 64·wgi + 16·warp + g and + 8 (row groups r0, r0 + 1)
    const int rg = (wgi * 64 + warp * 16) >> 3;
    for (int t = 0; t < nk; ++t) {
        const float* st = sm + (t % STAGES3) * STAGE3;
        unsigned ah[BK / 8][4], al[BK / 8][4];
#pragma unroll
        for (int ks = 0; ks < BK / 8; ++ks) {
            // (row, k) at ((row / 8) · 8 + k / 4) · 32 + (row % 8) · 4 + k % 4 floats; k = 8·ks + q (+ 4)
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
            const int ko = ks * 64;
            mma_ra(acc, al[ks], desc(wh + ko), ks > 0);
            mma_ra(acc, ah[ks], desc(wl + ko), 1);
            mma_ra(acc, ah[ks], desc(wh + ko), 1);
        }
        commit();
        // the stage refilled here was read by the products of t − 1, complete before the barrier below
        if (t + STAGES3 - 2 < nk) copy(t + STAGES3 - 2, (t + STAGES3 - 2) % STAGES3);
        sl::sl_cp_commit();
        if (t + 1 < nk) {
            asm volatile("cp.async.wait_group %0;\n" :: "n"(STAGES3 - 3));
            __syncthreads();
            split_w(sm + ((t + 1) % STAGES3) * STAGE3, tid);
            proxy_fence();
        }
        wait0();
#pragma unroll
        for (int i = 0; i < 64; ++i) tot[i] += acc[i];
        __syncthreads();
    }
    sl::sl_cp_wait_all();
    float (&t4)[1][16][4] = *reinterpret_cast<float (*)[1][16][4]>(tot);
    sl::store_mma_tiles(t4, y, bias, M, NO, m0 + wgi * 64 + warp * 16, n0, lane);
}

// gemm4: gemm3 with the K depth of a stage (BKT) and the stage count as parameters; SBO = (BKT / 4) · 128 bytes.
template <int BKT, int ST>
__global__ void __launch_bounds__(256, 1) gemm4(const float* __restrict__ x, const float* __restrict__ w,
                                                const float* __restrict__ bias, float* __restrict__ y, int M, int NO, int K)
{
    constexpr int T = 128 * BKT, SG = 3 * T, KG = BKT / 4;      // floats per tile and stage; k groups per row group
    extern __shared__ __align__(128) float sm[];
    const int tid = threadIdx.x, wgi = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
    const int g = lane >> 2, q = lane & 3;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    auto copy = [&](int tile, int st) {
        float* xs = sm + st * SG;
        float* ws = xs + T;
        const int k0 = tile * BKT;
#pragma unroll
        for (int i = 0; i < 128 * KG / 256; ++i) {
            const int idx = tid + i * 256, r = idx / KG, c4 = idx % KG, kc = c4 * 4;
            const bool kv = k0 + kc < K;
            const bool vx = kv && m0 + r < M, vw = kv && n0 + r < NO;
            const int o = ((r >> 3) * KG + c4) * 32 + (r & 7) * 4;
            sl::sl_cp<16>(xs + o, vx ? x + (size_t)(m0 + r) * K + k0 + kc : x, vx);
            sl::sl_cp<16>(ws + o, vw ? w + (size_t)(n0 + r) * K + k0 + kc : w, vw);
        }
    };
    auto splitw = [&](float* st) {
#pragma unroll
        for (int i = 0; i < T / 4 / 256; ++i) {
            float* hp = st + T + (tid + i * 256) * 4;
            float4 v = *reinterpret_cast<float4*>(hp), h, l;
            h.x = tf32r(v.x); h.y = tf32r(v.y); h.z = tf32r(v.z); h.w = tf32r(v.w);
            l.x = tf32r(v.x - h.x); l.y = tf32r(v.y - h.y); l.z = tf32r(v.z - h.z); l.w = tf32r(v.w - h.w);
            *reinterpret_cast<float4*>(hp) = h;
            *reinterpret_cast<float4*>(hp + T) = l;
        }
    };
    const int nk = (K + BKT - 1) / BKT;
    constexpr int AHEAD = ST - 1;   // stages in flight besides the one computing
#pragma unroll
    for (int s = 0; s < AHEAD; ++s) {
        if (s < nk) copy(s, s);
        sl::sl_cp_commit();
    }
    asm volatile("cp.async.wait_group %0;\n" :: "n"(AHEAD - 1));
    __syncthreads();
    splitw(sm);
    proxy_fence();
    __syncthreads();
    float tot[64], acc[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) tot[i] = 0.f;
    const int rg = (wgi * 64 + warp * 16) >> 3;
    for (int t = 0; t < nk; ++t) {
        const float* st = sm + (t % ST) * SG;
        unsigned ah[BKT / 8][4], al[BKT / 8][4];
#pragma unroll
        for (int ks = 0; ks < BKT / 8; ++ks) {
            const float* p0 = st + (rg * KG + 2 * ks) * 32 + g * 4 + q;
            const float v[4] = {p0[0], p0[KG * 32], p0[32], p0[KG * 32 + 32]};
#pragma unroll
            for (int c = 0; c < 4; ++c) {
                const float h = tf32r(v[c]);
                ah[ks][c] = __float_as_uint(h);
                al[ks][c] = __float_as_uint(tf32r(v[c] - h));
            }
        }
        const float* wh = st + T;
        const float* wl = wh + T;
        fence();
#pragma unroll
        for (int ks = 0; ks < BKT / 8; ++ks) {
            const int ko = ks * 64;
            mma_ra(acc, al[ks], desc(wh + ko, KG * 128), ks > 0);
            mma_ra(acc, ah[ks], desc(wl + ko, KG * 128), 1);
            mma_ra(acc, ah[ks], desc(wh + ko, KG * 128), 1);
        }
        commit();
        // the stage refilled here was read by the products of t − 1, complete before the barrier below
        if (t + AHEAD < nk) copy(t + AHEAD, (t + AHEAD) % ST);
        sl::sl_cp_commit();
        if (t + 1 < nk) {
            asm volatile("cp.async.wait_group %0;\n" :: "n"(AHEAD - 1));
            __syncthreads();
            splitw(sm + ((t + 1) % ST) * SG);
            proxy_fence();
        }
        wait0();
#pragma unroll
        for (int i = 0; i < 64; ++i) tot[i] += acc[i];
        __syncthreads();
    }
    sl::sl_cp_wait_all();
    float (&t4)[1][16][4] = *reinterpret_cast<float (*)[1][16][4]>(tot);
    sl::store_mma_tiles(t4, y, bias, M, NO, m0 + wgi * 64 + warp * 16, n0, lane);
}
}  // namespace wg

__global__ void fill(float* p, long long n, unsigned seed, float lo, float hi)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        unsigned h = (unsigned)i * 2654435761u ^ seed * 97531u;
        h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
        p[i] = lo + (hi - lo) * (h & 0xffffff) / 16777216.f;
    }
}

static float time_ms(void (*launch)(const float*, const float*, const float*, float*, int, int, int), const float* x,
                     const float* w, const float* b, float* y, int M, int NO, int K)
{
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0); cudaEventCreate(&e1);
    launch(x, w, b, y, M, NO, K);
    CK(cudaDeviceSynchronize());
    std::vector<float> ts;
    for (int r = 0; r < 7; ++r) {
        cudaEventRecord(e0);
        launch(x, w, b, y, M, NO, K);
        cudaEventRecord(e1);
        cudaEventSynchronize(e1);
        float ms; cudaEventElapsedTime(&ms, e0, e1); ts.push_back(ms);
    }
    std::sort(ts.begin(), ts.end());
    return ts[3];
}
static void launch_wg3(const float* x, const float* w, const float* b, float* y, int M, int NO, int K)
{
    wg::gemm3<<<dim3((NO + 127) / 128, (M + 127) / 128), 256, wg::SMEM3>>>(x, w, b, y, M, NO, K);
}
static void launch_wg4(const float* x, const float* w, const float* b, float* y, int M, int NO, int K)
{
    wg::gemm4<64, 2><<<dim3((NO + 127) / 128, (M + 127) / 128), 256, 2 * 3 * 128 * 64 * 4>>>(x, w, b, y, M, NO, K);
}
static void launch_wg5(const float* x, const float* w, const float* b, float* y, int M, int NO, int K)
{
    wg::gemm4<32, 4><<<dim3((NO + 127) / 128, (M + 127) / 128), 256, 4 * 3 * 128 * 32 * 4>>>(x, w, b, y, M, NO, K);
}
static void launch_old(const float* x, const float* w, const float* b, float* y, int M, int NO, int K)
{
    gemm_nt_tf32x3<<<dim3((NO + 127) / 128, (M + 127) / 128), 256, sltf::SMEM_BYTES>>>(x, w, b, y, M, NO, K);
}

int main()
{
    CK(cudaFuncSetAttribute(wg::gemm3, cudaFuncAttributeMaxDynamicSharedMemorySize, wg::SMEM3));
    CK(cudaFuncSetAttribute(wg::gemm4<64, 2>, cudaFuncAttributeMaxDynamicSharedMemorySize, 2 * 3 * 128 * 64 * 4));
    CK(cudaFuncSetAttribute(wg::gemm4<32, 4>, cudaFuncAttributeMaxDynamicSharedMemorySize, 4 * 3 * 128 * 32 * 4));
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
        fill<<<1024, 256>>>(x, nx, 1, -1, 1); fill<<<1024, 256>>>(w, nw, 2, -0.2f, 0.2f); fill<<<64, 256>>>(b, s.NO, 3, -1, 1);
      for (int kv = 2; kv < 5; ++kv) {
        CK(cudaMemset(y, 0xff, ny * 4));
        (kv == 2 ? launch_wg3 : kv == 3 ? launch_wg4 : launch_wg5)(x, w, b, y, s.M, s.NO, s.K);
        CK(cudaGetLastError());
        CK(cudaDeviceSynchronize());
        // reference on up to 64 sampled rows (all rows when fewer), float64
        std::vector<float> hx(nx), hw(nw), hb(s.NO), hy(ny);
        CK(cudaMemcpy(hx.data(), x, nx * 4, cudaMemcpyDeviceToHost)); CK(cudaMemcpy(hw.data(), w, nw * 4, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(hb.data(), b, s.NO * 4, cudaMemcpyDeviceToHost)); CK(cudaMemcpy(hy.data(), y, ny * 4, cudaMemcpyDeviceToHost));
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
        printf("%s %s M%d K%d N%d: rel err %.2e (tol 1e-5)", ok ? "PASS" : "FAIL", kv == 2 ? "wgmma3" : kv == 3 ? "bk64s2" : "bk32s4", s.M, s.K, s.NO, rel);
        if (s.time && kv == 4) {
            const float tw3 = time_ms(launch_wg3, x, w, b, y, s.M, s.NO, s.K), tw4 = time_ms(launch_wg4, x, w, b, y, s.M, s.NO, s.K);
            const float tw5 = time_ms(launch_wg5, x, w, b, y, s.M, s.NO, s.K), to = time_ms(launch_old, x, w, b, y2, s.M, s.NO, s.K);
            const double fl = 2.0 * s.M * s.NO * s.K;
            printf("  TFLOP/s: wgmma3 %.1f, bk64s2 %.1f, bk32s4 %.1f, mma.sync %.1f (%.3f ms)", fl / tw3 / 1e9, fl / tw4 / 1e9,
                   fl / tw5 / 1e9, fl / to / 1e9, to);
        }
        printf("\n");
      }
        fflush(stdout);
        cudaFree(x); cudaFree(w); cudaFree(b); cudaFree(y); cudaFree(y2);
    }
    printf("%d failed\n", failed);
    return failed ? 1 : 0;
}
