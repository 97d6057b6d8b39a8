// Single-pass, sequence-parallel selective scan (Mamba-1, spec ops §8.1) with an initial state in and
// the final state out: every exp(δ·A) is evaluated once and every input is read once.
//
// Glossary: B batch, L tokens of this call, E channels, N state size, NMAX N rounded up to the
// kernel's width (16), G groups of B/C rows, W warps (= channels) per block, K = 8 tokens per lane,
// TT = 32·K tokens per tile, Q = NMAX/4 groups of 4 states.
// Layouts as in selective_scan.cuh: u, delta, z, out (B, L, E); A (E, N); Bm, Cm (B, L, G, N);
// D, delta bias (E); state (B, E, N).
//
// Why: the chunk-parallel scan (selective_scan.cuh) computes every exp twice (state pass and output
// pass), which alone costs about half of the bandwidth-bound time at N = 16. Here a warp owns one
// channel and its 32 lanes own K consecutive tokens each, so the sequence is parallel inside the
// warp and one pass suffices. Per group of 4 states a lane
//   1. forms a_k = exp2(δ_k·A·log2e), b_k = δ_k·u_k·B_k[n] for its K tokens (kept in registers) and
//      its aggregate: the local end state from zero and Π a = exp2(A·log2e·Σδ) (one exp per lane
//      instead of K − 1 multiplies);
//   2. the 32 × 4 aggregates are scanned through shared memory: lane (j, i) composes lanes 4i..4i+3
//      of state j serially, an 8-lane shfl_up scan (op (a1, b1)∘(a2, b2) = (a1·a2, a2·b1 + b2)) links
//      the 8 parts, the carry from the previous tile enters at part 0, and the 4 incoming states go
//      back through shared memory. A 32-lane shfl_up scan of every state (the first version of this
//      kernel) took about twice the instructions, most of them predicated moves;
//   3. re-runs its K tokens from the incoming state (one FMA per token, a_k/b_k reused) and adds C·h.
// The W channels of a block share the tile's B/C rows in shared memory, so B/C come from L2 once per
// block rather than once per channel; W is a launch parameter (blockDim.x = 32·W), chosen so that the
// blocks spread evenly over the SMs.
// Per tile (2 barriers): B/C rows of the next tile are copied (cp.async) during the whole tile (2
// stages), u, δ, z rows (1 stage) during the lane phase; a cooperative pass stores the previous tile's
// output rows coalesced and turns the raw rows into δ (bias, softplus), δ·u, D·u and silu(z) per
// channel, transposed so that a lane's K tokens are contiguous; then the lanes scan. Tokens past L get
// δ = 0 (a = 1, b = 0): the state passes through, so the final state is the last carry.
#pragma once
#include <type_traits>
#include "common.cuh"
#include "cp_async.cuh"

namespace sl {

// A shared-memory load the compiler may not merge with an earlier one (it would keep δ and δu live in
// registers across the state groups instead of re-reading them).
__device__ __forceinline__ float4 blk_lds4(const float* p)
{
    float4 v;
    const unsigned s = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];\n" : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w) : "r"(s));
    return v;
}

template <int NMAX, int K>
struct BlockLayout {
    static constexpr int TT = 32 * K;
    static constexpr int ROW = TT + 4;          // per-channel rows; +4: fewer conflicts in the cooperative passes
    static constexpr int SCR = 2 * 36 * 4;      // per warp: two arrays of 36 float4 slots (32 lanes, skewed)
    // Floats: B/C 2 stages × (B, C) × TT·NMAX; u, δ, z rows TT·W each; 5 per-channel rows (δ, δu, D·u,
    // silu z, output); scan scratch; A·log2e and carry (W, NMAX); D, bias (W).
    __host__ __device__ static constexpr int smem_floats(int w)
    {
        return 4 * TT * NMAX + 3 * TT * w + 5 * w * ROW + w * SCR + w * (2 * NMAX + 2);
    }
    __host__ __device__ static constexpr int smem_bytes(int w) { return 4 * smem_floats(w); }
};

// B/C slot (float4) of (token t, states 4q..4q+3). The XOR with the token's lane (t / K) & 7 makes the
// 8 lanes of a quarter-warp hit 8 different 16-byte bank groups when each reads its own token's slot;
// it changes only the low 3 bits of the index and depends on higher bits only, so it is a bijection.
template <int Q, int K>
__device__ __forceinline__ int blk_bc_slot(int t, int q) { return (t * Q + q) ^ ((t / K) & 7); }

// Skewed float4 slot of lane l in the scan scratch: the reads of lane (j, i), (4i + r, state j) for
// r fixed, land in 32 different banks.
__device__ __forceinline__ int blk_scr_slot(int l) { return l + (l >> 3); }

template <int NMAX, int K, int QU>
__device__ __forceinline__ void block_body(
    const float* __restrict__ u, const float* __restrict__ delta, const float* __restrict__ A,
    const float* __restrict__ Bm, const float* __restrict__ Cm, const float* __restrict__ Dv,
    const float* __restrict__ z, const float* __restrict__ dbias, int softplus,
    float* __restrict__ hState, float* __restrict__ out, int L, int E, int N, int G)
{
    static_assert(NMAX == 16 && K == 8, "layout and swizzles are worked out for NMAX 16, K 8");
    using LY = BlockLayout<NMAX, K>;
    constexpr int TT = LY::TT, Q = NMAX / 4, ROW = LY::ROW;
    SL_EXTERN_SHARED __align__(16) float smem[];

    const int W = blockDim.x >> 5;
    const int nthr = blockDim.x;
    const int tid = threadIdx.x, lane = tid & 31, w = tid >> 5;
    const int EG = E / G;
    const int blocksPerGroup = (EG + W - 1) / W;
    const int g = blockIdx.x / blocksPerGroup;
    const int e0 = g * EG + (blockIdx.x - g * blocksPerGroup) * W;
    const int nAct = min(W, (g + 1) * EG - e0);
    const int b = blockIdx.y;
    const size_t tokBase = (size_t)b * L;

    float* bcs = smem;                          // 2 stages of (B, C), TT·NMAX each, swizzled slots
    float* raw = bcs + 4 * TT * NMAX;           // u, δ, z: (TT, W) each
    float* xdl = raw + 3 * TT * W;              // (W, ROW): δ
    float* xdu = xdl + W * ROW;                 // (W, ROW): δ·u
    float* xs = xdu + W * ROW;                  // (W, ROW): D·u
    float* xg = xs + W * ROW;                   // (W, ROW): silu(z) (1 without z)
    float* xy = xg + W * ROW;                   // (W, ROW): this tile's output, stored during the next tile
    float* scr = xy + W * ROW;                  // (W, SCR)
    float* a2s = scr + W * LY::SCR;             // (W, NMAX): A·log2e (0 for padded states)
    float* hcar = a2s + W * NMAX;               // (W, NMAX): state entering the tile
    float* dsh = hcar + W * NMAX;               // (W): D
    float* bsh = dsh + W;                       // (W): delta bias

    for (int i = tid; i < W * NMAX; i += nthr) {
        const int c = i / NMAX, n = i - c * NMAX;
        const bool v = c < nAct && n < N;
        const int e = e0 + c;
        a2s[i] = v ? A[(size_t)e * N + n] * SL_LOG2E : 0.f;
        hcar[i] = v ? hState[((size_t)b * E + e) * N + n] : 0.f;
    }
    for (int c = tid; c < W; c += nthr) {
        dsh[c] = (c < nAct && Dv) ? Dv[e0 + c] : 0.f;
        bsh[c] = (c < nAct && dbias) ? dbias[e0 + c] : 0.f;
    }

    // Copy width of the u/δ/z rows: 16 or 8 bytes where rows and pointers allow, else 4.
    auto al = [](const void* p, int bytes) { return (reinterpret_cast<size_t>(p) & (bytes - 1)) == 0; };
    const bool zAl16 = z == nullptr || al(z, 16), zAl8 = z == nullptr || al(z, 8);
    const int vw = (EG % 4 == 0 && W % 4 == 0 && al(u, 16) && al(delta, 16) && zAl16) ? 4
                 : (EG % 2 == 0 && W % 2 == 0 && al(u, 8) && al(delta, 8) && zAl8) ? 2 : 1;
    const bool vecBC = (N % 4 == 0) && al(Bm, 16) && al(Cm, 16);
    // Thread tid copies chunk c0 of rows tr + (32·vw)·r (nthr = 32·W = 32·vw·(W / vw) chunks per pass).
    const int cpr = W / vw;
    const int tr = tid / cpr, c0 = vw * (tid - (tid / cpr) * cpr);

    auto load_raw = [&](int tile) {
        const int t0 = tile * TT;
        const float* su = u + (tokBase + t0) * E + e0 + c0;
        const float* sd = delta + (tokBase + t0) * E + e0 + c0;
        const float* sz = z ? z + (tokBase + t0) * E + e0 + c0 : nullptr;
        auto rows = [&](auto bytesTag) {
            constexpr int BY = decltype(bytesTag)::value;
            constexpr int V = BY / 4;
            const bool cv = c0 < nAct;           // nAct is a multiple of vw here
#pragma unroll 4
            for (int r = 0; r < K / V; ++r) {
                const int t = tr + 32 * V * r;
                const bool v = cv && t0 + t < L;
                const int go = v ? t * E : 0;   // < TT·E: 32-bit
                float* d = raw + t * W + c0;
                sl_cp<BY>(d, su + go, v);
                sl_cp<BY>(d + TT * W, sd + go, v);
                if (z) sl_cp<BY>(d + 2 * TT * W, sz + go, v);
            }
        };
        if (vw == 4) rows(std::integral_constant<int, 16>());
        else if (vw == 2) rows(std::integral_constant<int, 8>());
        else rows(std::integral_constant<int, 4>());
    };
    auto load_bc = [&](int tile, int slot) {
        float* st = bcs + slot * 2 * TT * NMAX;
        const int t0 = tile * TT;
        if (vecBC) {
            const size_t base = ((tokBase + t0) * G + g) * N;
            const float* sb = Bm + base;
            const float* sc = Cm + base;
            const int rowStride = G * N;
            const int tvl = min(TT, L - t0);
            for (int i = tid; i < TT * Q; i += nthr) {
                const int t = i / Q, q = i - t * Q;
                const bool v = t < tvl && 4 * q < N;   // N % 4 == 0 here
                const int off = v ? t * rowStride + 4 * q : 0;
                const int p = 4 * blk_bc_slot<Q, K>(t, q);
                sl_cp<16>(st + p, sb + off, v);
                sl_cp<16>(st + TT * NMAX + p, sc + off, v);
            }
        } else {
            for (int i = tid; i < TT * NMAX; i += nthr) {
                const int t = i / NMAX, n = i - t * NMAX;
                const bool v = t0 + t < L && n < N;
                const size_t off = v ? ((tokBase + t0 + t) * G + g) * N + n : 0;
                const int p = 4 * blk_bc_slot<Q, K>(t, n >> 2) + (n & 3);
                sl_cp<4>(st + p, Bm + off, v);
                sl_cp<4>(st + TT * NMAX + p, Cm + off, v);
            }
        }
    };

    // Cooperative passes: thread (cc = tid % W, tq = tid / W) owns tokens tq + 32·r of channel cc. In
    // the swizzled per-channel rows, token tq + 32·r sits at 32·r + xb[r & 1] (the XOR term only
    // depends on tq and r & 1 for K = 8).
    const int cc = tid % W, tq = tid / W;
    const int xq = (tq >> 2) ^ (tq >> 3);
    const int xb0 = cc * ROW + 4 * xq + (tq & 3), xb1 = cc * ROW + 4 * (xq ^ 4) + (tq & 3);
    const bool cAct = cc < nAct;

    // Lane phase constants.
    const int sw = lane & 7;
    const int px0 = w * ROW + (((2 * lane) ^ sw) << 2), px1 = w * ROW + (((2 * lane + 1) ^ sw) << 2);
    float* sa4 = scr + w * LY::SCR;             // 36 float4 slots
    float* sb4 = sa4 + 36 * 4;
    const int js = lane >> 3, is = lane & 7;    // scan role: state js of the group, part is (lanes 4is..4is+3)

    // Coalesced rows of a finished tile; runs between barriers A and B of the next tile, so one
    // barrier per tile fewer than storing right after the lane phase.
    auto store_out = [&](int tile) {
        if (!cAct) return;
        const int t0 = tile * TT;
        const int tv = min(TT, L - t0);
        float* o = out + (tokBase + t0 + tq) * E + e0 + cc;
        const size_t step = (size_t)32 * E;
#pragma unroll
        for (int r = 0; r < K; ++r, o += step)
            if (tq + 32 * r < tv) *o = xy[32 * r + ((r & 1) ? xb1 : xb0)];
    };

    const int tiles = (L + TT - 1) / TT;
    if (tiles > 0) { load_raw(0); load_bc(0, 0); }
    sl_cp_commit();

    for (int tile = 0; tile < tiles; ++tile) {
        const int slot = tile & 1;
        const int t0 = tile * TT;
        const int tv = min(TT, L - t0);
        sl_cp_wait_all();
        __syncthreads();                       // (A) raw and B/C of this tile landed; last lane phase done
        if (tile + 1 < tiles) load_bc(tile + 1, slot ^ 1);
        sl_cp_commit();

        // Output rows of the previous tile (the lane phase wrote them before barrier A).
        if (tile > 0) store_out(tile - 1);
        {
            // Branch-free: rows past L and idle channels hold zeros (zero-filled copies); only δ needs
            // the mask (bias and softplus would make it nonzero).
            const float bias = bsh[cc], dd = dsh[cc];
            auto prep = [&](auto spTag, auto zTag) {
                constexpr bool SP = decltype(spTag)::value, HZ = decltype(zTag)::value;
#pragma unroll
                for (int r = 0; r < K; ++r) {
                    const int t = tq + 32 * r;
                    const int ri = t * W + cc;
                    const float uu = raw[ri];
                    float dl = raw[TT * W + ri] + bias;
                    if constexpr (SP) dl = sl_softplus(dl);
                    dl = (cAct && t < tv) ? dl : 0.f;
                    const int xi = 32 * r + ((r & 1) ? xb1 : xb0);
                    xdl[xi] = dl;
                    xdu[xi] = dl * uu;
                    xs[xi] = dd * uu;
                    xg[xi] = HZ ? sl_silu(raw[2 * TT * W + ri]) : 1.f;
                }
            };
            using T_ = std::true_type;
            using F_ = std::false_type;
            if (softplus) { if (z) prep(T_(), T_()); else prep(T_(), F_()); }
            else { if (z) prep(F_(), T_()); else prep(F_(), F_()); }
        }
        __syncthreads();                       // (B)
        if (tile + 1 < tiles) load_raw(tile + 1);
        sl_cp_commit();

        // Lane phase, every warp (idle channels scan zeros: no divergence around the shuffles).
        {
            const float4* bt = reinterpret_cast<const float4*>(bcs + slot * 2 * TT * NMAX) + lane * K * Q;
            const float4* ct = bt + TT * Q;
            float y[K];
            float sdl;
            {
                const float4 d0 = *reinterpret_cast<const float4*>(xdl + px0);
                const float4 d1 = *reinterpret_cast<const float4*>(xdl + px1);
                sdl = ((d0.x + d0.y) + (d0.z + d0.w)) + ((d1.x + d1.y) + (d1.z + d1.w));
            }
#pragma unroll
            for (int k = 0; k < K; ++k) y[k] = 0.f;

            // QU state groups per loop body: fully unrolled, the compiler overlaps groups and spills.
#pragma unroll QU
            for (int q = 0; q < Q; ++q) {
                const float4 av = *reinterpret_cast<const float4*>(a2s + w * NMAX + 4 * q);
                const float a2[4] = {av.x, av.y, av.z, av.w};
                const float carry = hcar[w * NMAX + 4 * q + js];
                float a[4][K], bx[4][K];
                {
                    float dl[K], du[K];
                    const float4 v0 = blk_lds4(xdl + px0), v1 = blk_lds4(xdl + px1);
                    const float4 c0v = blk_lds4(xdu + px0), c1v = blk_lds4(xdu + px1);
                    dl[0] = v0.x; dl[1] = v0.y; dl[2] = v0.z; dl[3] = v0.w; dl[4] = v1.x; dl[5] = v1.y; dl[6] = v1.z; dl[7] = v1.w;
                    du[0] = c0v.x; du[1] = c0v.y; du[2] = c0v.z; du[3] = c0v.w; du[4] = c1v.x; du[5] = c1v.y; du[6] = c1v.z; du[7] = c1v.w;
#pragma unroll
                    for (int k = 0; k < K; ++k) {
                        // slot(lane·K + k, q) with lane·K·Q a multiple of 8: only ((k·Q & 7) + q) ^ sw varies
                        const float4 bv = bt[((k * Q) & ~7) + ((((k * Q) & 7) + q) ^ sw)];
                        const float bb[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
                        for (int j = 0; j < 4; ++j) {
                            a[j][k] = exp2f(dl[k] * a2[j]);
                            bx[j][k] = du[k] * bb[j];
                        }
                    }
                }
                float4 ag, bg;                 // this lane's aggregate per state: Π a, local end state
                {
                    float hl[4], pa[4];
#pragma unroll
                    for (int j = 0; j < 4; ++j) {
                        float h = bx[j][0];
#pragma unroll
                        for (int k = 1; k < K; ++k) h = fmaf(a[j][k], h, bx[j][k]);
                        hl[j] = h;
                        pa[j] = exp2f(sdl * a2[j]);
                    }
                    ag = make_float4(pa[0], pa[1], pa[2], pa[3]);
                    bg = make_float4(hl[0], hl[1], hl[2], hl[3]);
                }
                __syncwarp();                  // the previous group's reads of the scratch are done
                reinterpret_cast<float4*>(sa4)[blk_scr_slot(lane)] = ag;
                reinterpret_cast<float4*>(sb4)[blk_scr_slot(lane)] = bg;
                __syncwarp();
                float ar[4], br[4];
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    const int o = 4 * blk_scr_slot(4 * is + r) + js;
                    ar[r] = sa4[o];
                    br[r] = sb4[o];
                }
                // Part is = lanes 4is..4is+3 of state js; part 0 starts from the carry.
                float pA = ar[0] * ar[1] * ar[2] * ar[3];
                float pB = fmaf(ar[0], is == 0 ? carry : 0.f, br[0]);
                pB = fmaf(ar[1], pB, br[1]);
                pB = fmaf(ar[2], pB, br[2]);
                pB = fmaf(ar[3], pB, br[3]);
#pragma unroll
                for (int d = 1; d < 8; d <<= 1) {
                    const float qa = __shfl_up_sync(0xffffffffu, pA, d, 8);
                    const float qb = __shfl_up_sync(0xffffffffu, pB, d, 8);
                    if (is >= d) {
                        pB = fmaf(pA, qb, pB);
                        if (d < 4) pA *= qa;
                    }
                }
                const float prev = __shfl_up_sync(0xffffffffu, pB, 1, 8);
                float hin = is == 0 ? carry : prev;          // state entering lane 4is
                if (is == 7) hcar[w * NMAX + 4 * q + js] = pB;
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    sa4[4 * blk_scr_slot(4 * is + r) + js] = hin;
                    hin = fmaf(ar[r], hin, br[r]);
                }
                __syncwarp();
                const float4 hv = reinterpret_cast<const float4*>(sa4)[blk_scr_slot(lane)];
                float h[4] = {hv.x, hv.y, hv.z, hv.w};
#pragma unroll
                for (int k = 0; k < K; ++k) {
                    const float4 cv = ct[((k * Q) & ~7) + ((((k * Q) & 7) + q) ^ sw)];
                    const float c4[4] = {cv.x, cv.y, cv.z, cv.w};
#pragma unroll
                    for (int j = 0; j < 4; ++j) {
                        h[j] = fmaf(a[j][k], h[j], bx[j][k]);
                        y[k] = fmaf(c4[j], h[j], y[k]);
                    }
                }
            }
            const float4 s0 = *reinterpret_cast<const float4*>(xs + px0), s1 = *reinterpret_cast<const float4*>(xs + px1);
            const float4 g0 = *reinterpret_cast<const float4*>(xg + px0), g1 = *reinterpret_cast<const float4*>(xg + px1);
            *reinterpret_cast<float4*>(xy + px0) = make_float4((y[0] + s0.x) * g0.x, (y[1] + s0.y) * g0.y,
                                                               (y[2] + s0.z) * g0.z, (y[3] + s0.w) * g0.w);
            *reinterpret_cast<float4*>(xy + px1) = make_float4((y[4] + s1.x) * g1.x, (y[5] + s1.y) * g1.y,
                                                               (y[6] + s1.z) * g1.z, (y[7] + s1.w) * g1.w);
        }
    }
    sl_cp_wait_all();
    __syncthreads();
    if (tiles > 0) store_out(tiles - 1);
    for (int i = tid; i < W * NMAX; i += nthr) {
        const int c = i / NMAX, n = i - c * NMAX;
        if (c < nAct && n < N) hState[((size_t)b * E + e0 + c) * N + n] = hcar[i];
    }
}

}  // namespace sl

#define SL_BLOCK_ARGS const float* u, const float* delta, const float* A, const float* Bm, const float* Cm, \
    const float* D, const float* z, const float* dbias, int softplus, float* hState, float* out, int L, int E, int N, int G
#define SL_BLOCK_PASS u, delta, A, Bm, Cm, D, z, dbias, softplus, hState, out, L, E, N, G

// Kernel names: ss_block_n{NMAX}_k{K}_t{TH}; blockDim.x = 32·W with W <= TH / 32 channels per block;
// grid (G·⌈(E/G)/W⌉, B); dynamic shared memory sl::BlockLayout<NMAX, K>::smem_bytes(W) (180 KB at
// W 12, 218 KB at W 16; for W = TH / 32 exported as the constant ss_block_n{NMAX}_k{K}_t{TH}_smem). TH = 384
// leaves ptxas 168 registers per thread; TH = 512 caps it at 128.
#define SL_BLOCK_INSTANCE(NM, KK, TH) \
    extern "C" { __constant__ int ss_block_n##NM##_k##KK##_t##TH##_smem = sl::BlockLayout<NM, KK>::smem_bytes(TH / 32); } \
    extern "C" __global__ void __launch_bounds__(TH, 1) ss_block_n##NM##_k##KK##_t##TH(SL_BLOCK_ARGS) { sl::block_body<NM, KK, 1>(SL_BLOCK_PASS); }
// The same with two state groups per loop body (more independent work between the scan's waits).
#define SL_BLOCK_INSTANCE_U2(NM, KK, TH) \
    extern "C" __global__ void __launch_bounds__(TH, 1) ss_block_n##NM##_k##KK##_t##TH##_u2(SL_BLOCK_ARGS) { sl::block_body<NM, KK, 2>(SL_BLOCK_PASS); }

// Where it pays (H100, results-h100/scan-block/): the chunk-parallel path splits L only while
// B·E < 132·1024/2; there its two exps per state cost more than this kernel's shared-memory traffic
// once B·E fills 16-warp blocks for a few waves (B8 L64K E768: 1.28x, B64 L4096 E384: 1.22x). With few
// channels (B1) each SM holds at most ~E/132 warps and the kernel is latency-bound; above 67,584
// channels the chunked path is single-pass already and its B/C broadcast reads win (B64 E1536: 0.84x).
#ifndef SL_BLOCK_VARIANTS
#define SL_BLOCK_VARIANTS SL_BLOCK_INSTANCE(16, 8, 384) SL_BLOCK_INSTANCE(16, 8, 512)
#endif
SL_BLOCK_VARIANTS
