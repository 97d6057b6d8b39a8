// mLSTM chunkwise with carried state (C, n, m) (spec ops §10.3), project convention D1: keys enter
// the state as k̂ = k/√DH; m may be −∞ (fresh state).
//
// Glossary: B batch, L tokens, NH heads, DH head dim, Q chunk length, NCH = ceil(L/Q) chunks.
// Layouts: q, k, v, h (B, L, NH, DH); ig, fg (B, L, NH); C (B, NH, DH, DH) rows = key channel;
// n (B, NH, DH); m (B, NH); per-chunk buffers Cl (B, NH, NCH, DH·DH), nl (B, NH, NCH, DH),
// ml, gl, mIn (B, NH, NCH) in fp64.
//
// Precision: the log-domain gate sums (prefix sums b, chunk totals g, stabilizers m) are kept in
// fp64: in fp32 the rounding of a long prefix sum (absolute, ~|b|·6e-8) enters every weight
// exp(b_τ − b_σ + ...) and measurably breaks the 1e-5 tolerance for chunks of 128 tokens.
//
// Why three launches: one block per (b, head) walking the chunks would leave an H100 almost idle
// (B·NH blocks). Instead:
//   1. chunk state: every chunk from the zero state -> its local (C, n, m) and g = Σ log f;
//   2. combine: per state element, walk the chunks in order -> every chunk's incoming state
//      (written over the local one) and the final state;
//   3. chunk output: every chunk from its incoming state -> h (intra-chunk part like attention).
#pragma once
#include "common.cuh"

namespace sl {
__device__ __forceinline__ float ninf() { return __int_as_float(0xff800000); }
}

// Pass 1. Grid (NCH, NH, B); dynamic smem 8·Q + 4·(2·Q·DH + 2·Q) bytes.
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_state(
    const float* k, const float* v, const float* ig, const float* fg,
    float* Cl, float* nl, double* ml, double* gl, int L, int NH, int DH, int Q)
{
    SL_EXTERN_SHARED double smemd[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    double* sb = smemd;                            // (Q) running Σ log f, fp64
    float* sk = reinterpret_cast<float*>(sb + Q);  // (Q, DH): k̂ weighted by exp(a_s − m_loc)
    float* sv = sk + Q * DH;                       // (Q, DH)
    float* si = sv + Q * DH;                       // (Q) input gates
    float* sw = si + Q;                            // (Q) weights
    __shared__ double sm, sg;
    const float scale = rsqrtf((float)DH);
    for (int s = threadIdx.x; s < qn; s += blockDim.x) {
        const size_t gi = ((size_t)b * L + t0 + s) * NH + hh;
        const double f = fg[gi];
        sb[s] = fmin(f, 0.0) - log1p(exp(-fabs(f)));
        si[s] = ig[gi];
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double acc = 0.0;
        for (int s = 0; s < qn; ++s) { acc += sb[s]; sb[s] = acc; }
        double m = -INFINITY;
        for (int s = 0; s < qn; ++s) m = fmax(m, acc - sb[s] + si[s]);
        sm = m; sg = acc;
    }
    __syncthreads();
    for (int s = threadIdx.x; s < qn; s += blockDim.x) sw[s] = __expf((float)(sg - sb[s] + si[s] - sm)) * scale;
    __syncthreads();
    for (int i = threadIdx.x; i < qn * DH; i += blockDim.x) {
        const int s = i / DH, d = i - s * DH;
        const size_t gi = (((size_t)b * L + t0 + s) * NH + hh) * DH + d;
        sk[i] = k[gi] * sw[s];
        sv[i] = v[gi];
    }
    __syncthreads();
    const size_t cb = ((size_t)b * NH + hh) * nch + c;
    for (int idx = threadIdx.x; idx < DH * DH; idx += blockDim.x) {
        const int i = idx / DH, j = idx - i * DH;
        float acc = 0.f;
        for (int s = 0; s < qn; ++s) acc = fmaf(sk[s * DH + i], sv[s * DH + j], acc);
        Cl[cb * DH * DH + idx] = acc;
    }
    for (int i = threadIdx.x; i < DH; i += blockDim.x) {
        float acc = 0.f;
        for (int s = 0; s < qn; ++s) acc += sk[s * DH + i];
        nl[cb * DH + i] = acc;
    }
    if (threadIdx.x == 0) { ml[cb] = sm; gl[cb] = sg; }
}

// Pass 2a. One thread per (b, head): the stabilizer chain over the chunks (fp64), and per chunk the two
// scalars every state element needs: fdec = exp(g + m⁻ − m⁺) for the incoming state and
// lw = exp(m_loc − m⁺) for the chunk's local state; also each chunk's incoming m and the final m.
// Computing these once per (b, head, chunk) keeps exps out of the per-element walk of pass 2b.
extern "C" __global__ void mlstm_chunk_decay(float* __restrict__ m, const double* __restrict__ ml,
                                             const double* __restrict__ gl, double* __restrict__ mIn,
                                             float* __restrict__ fdec, float* __restrict__ lw, int bh, int nch)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= bh) return;
    double mprev = m[i];
    for (int c = 0; c < nch; ++c) {
        const size_t cb = (size_t)i * nch + c;
        const double g = gl[cb], mloc = ml[cb];
        const double mnew = fmax(g + mprev, mloc);
        fdec[cb] = (isinf(mprev) || isinf(mnew)) ? 0.f : (float)exp(g + mprev - mnew);
        lw[cb] = isinf(mloc) ? 0.f : (float)exp(mloc - mnew);
        mIn[cb] = mprev;
        mprev = mnew;
    }
    m[i] = (float)mprev;
}

// Pass 2b. One thread per state element (DH·DH of C, then DH of n) per (b, head): walks the chunks,
// replacing each chunk's local state by its incoming state. Loads are issued 8 chunks ahead of the
// stores (they touch different chunks), so the walk is not one memory latency per chunk.
extern "C" __global__ void mlstm_combine(float* __restrict__ C, float* __restrict__ n, float* __restrict__ Cl,
                                         float* __restrict__ nl, const float* __restrict__ fdec,
                                         const float* __restrict__ lw, int Bsz, int NH, int DH, int nch)
{
    const int per = DH * DH + DH;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)Bsz * NH * per) return;
    const size_t bh = i / per;
    const int idx = (int)(i - bh * per);
    const bool isC = idx < DH * DH;
    float* st = isC ? &C[bh * DH * DH + idx] : &n[bh * DH + (idx - DH * DH)];
    float* base = isC ? &Cl[bh * nch * (size_t)DH * DH + idx] : &nl[bh * nch * (size_t)DH + (idx - DH * DH)];
    const size_t stride = isC ? (size_t)DH * DH : (size_t)DH;
    float cur = *st;
    for (int c0 = 0; c0 < nch; c0 += 8) {
        float l[8], fd[8], w[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            if (c0 + j < nch) {
                l[j] = base[(size_t)(c0 + j) * stride];
                fd[j] = fdec[bh * nch + c0 + j];
                w[j] = lw[bh * nch + c0 + j];
            }
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            if (c0 + j < nch) {
                base[(size_t)(c0 + j) * stride] = cur;
                cur = fd[j] * cur + w[j] * l[j];
            }
        }
    }
    *st = cur;
}

// Pass 3. Grid (NCH, NH, B); 256 threads; dynamic smem
// 16·Q + 4·(2·Q·(DH+1) + Q·DH + Q·(Q+1) + 3·Q) bytes. Each thread of the output stage computes 4
// tokens of one value channel so every loaded C/v element feeds 4 FMAs.
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_out(
    const float* q, const float* k, const float* v, const float* ig, const float* fg,
    const float* Cin, const float* nIn, const double* mIn, float* h, int L, int NH, int DH, int Q, float eps)
{
    SL_EXTERN_SHARED double smemd[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    const int DP = DH + 1;            // padded rows: conflict-free column walks
    const int SP = Q + 1;
    double* sb = smemd;               // (Q) running Σ log f, fp64
    double* smt = sb + Q;             // (Q) stabilizer m_τ, fp64
    float* sq = reinterpret_cast<float*>(smt + Q);  // (Q, DP)
    float* sk = sq + Q * DP;          // (Q, DP)
    float* sv = sk + Q * DP;          // (Q, DH)
    float* sS = sv + Q * DH;          // (Q, SP) decay-weighted q·k̂
    float* si = sS + Q * SP;
    float* sw = si + Q;
    float* sden = sw + Q;
    const float scale = rsqrtf((float)DH);
    const size_t cb = ((size_t)b * NH + hh) * nch + c;
    const double mi = mIn[cb];
    const float* Cc = Cin + cb * DH * DH;
    const float* nc = nIn + cb * DH;

    for (int s = threadIdx.x; s < qn; s += blockDim.x) {
        const size_t gi = ((size_t)b * L + t0 + s) * NH + hh;
        const double f = fg[gi];
        sb[s] = fmin(f, 0.0) - log1p(exp(-fabs(f)));
        si[s] = ig[gi];
    }
    for (int i = threadIdx.x; i < qn * DH; i += blockDim.x) {
        const int s = i / DH, d = i - s * DH;
        const size_t gi = (((size_t)b * L + t0 + s) * NH + hh) * DH + d;
        sq[s * DP + d] = q[gi];
        sk[s * DP + d] = k[gi];
        sv[i] = v[gi];
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double acc = 0.0;
        for (int s = 0; s < qn; ++s) { acc += sb[s]; sb[s] = acc; }
    }
    __syncthreads();
    for (int t = threadIdx.x; t < qn; t += blockDim.x) {
        double mt = sb[t] + mi;
        for (int s = 0; s <= t; ++s) mt = fmax(mt, sb[t] - sb[s] + si[s]);
        smt[t] = mt;
        sw[t] = isinf(mi) ? 0.f : __expf((float)(sb[t] + mi - mt));
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < qn * qn; idx += blockDim.x) {
        const int t = idx / qn, s = idx - t * qn;
        float val = 0.f;
        if (s <= t) {
            float dot = 0.f;
            for (int i = 0; i < DH; ++i) dot = fmaf(sq[t * DP + i], sk[s * DP + i], dot);
            val = __expf((float)(sb[t] - sb[s] + si[s] - smt[t])) * dot * scale;
        }
        sS[t * SP + s] = val;
    }
    __syncthreads();
    for (int t = threadIdx.x; t < qn; t += blockDim.x) {
        float d = 0.f;
        for (int s = 0; s <= t; ++s) d += sS[t * SP + s];
        if (sw[t] != 0.f) {
            float qn_ = 0.f;
            for (int i = 0; i < DH; ++i) qn_ = fmaf(sq[t * DP + i], nc[i], qn_);
            d = fmaf(sw[t], qn_, d);
        }
        sden[t] = fmaxf(fabsf(d), (float)exp(-smt[t])) + eps;
    }
    __syncthreads();
    const int groups = (qn + 3) / 4;
    for (int idx = threadIdx.x; idx < groups * DH; idx += blockDim.x) {
        const int tg = idx / DH, j = idx - tg * DH;
        const int tb = tg * 4;
        float acc[4] = {0.f, 0.f, 0.f, 0.f};
        float ws[4];
#pragma unroll
        for (int r = 0; r < 4; ++r) ws[r] = (tb + r < qn) ? sw[tb + r] : 0.f;
        if (ws[0] != 0.f || ws[1] != 0.f || ws[2] != 0.f || ws[3] != 0.f) {
            for (int i = 0; i < DH; ++i) {
                const float cij = Cc[(size_t)i * DH + j];
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    const int t = min(tb + r, qn - 1);
                    acc[r] = fmaf(sq[t * DP + i], cij, acc[r]);
                }
            }
#pragma unroll
            for (int r = 0; r < 4; ++r) acc[r] *= ws[r];
        }
        const int smax = min(tb + 3, qn - 1);
        for (int s = 0; s <= smax; ++s) {
            const float vs = sv[s * DH + j];
#pragma unroll
            for (int r = 0; r < 4; ++r) {
                const int t = min(tb + r, qn - 1);
                acc[r] = fmaf(sS[t * SP + s], vs, acc[r]);   // sS[t][s] = 0 for s > t
            }
        }
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int t = tb + r;
            if (t < qn) h[(((size_t)b * L + t0 + t) * NH + hh) * DH + j] = acc[r] / sden[t];
        }
    }
}
