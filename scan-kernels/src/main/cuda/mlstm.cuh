// mLSTM chunkwise with carried state (C, n, m) (spec ops §10.3), project convention D1: keys enter
// the state as k̂ = k/√DH; m may be −∞ (fresh state).
//
// Glossary: B batch, L tokens, NH heads, DH head dim, Q chunk length, NCH = ceil(L/Q) chunks.
// Layouts: q, k, v, h (B, L, NH, DH); ig, fg (B, L, NH); C (B, NH, DH, DH) rows = key channel;
// n (B, NH, DH); m (B, NH); per-chunk buffers Cl (B, NH, NCH, DH·DH), nl (B, NH, NCH, DH),
// ml, gl, mIn (B, NH, NCH).
//
// Why three launches: one block per (b, head) walking the chunks would leave an H100 almost idle
// (B·NH blocks). Instead:
//   1. chunk state: every chunk from the zero state -> its local (C, n, m) and g = Σ log f;
//   2. combine: per state element, walk the chunks in order -> every chunk's incoming state
//      (written over the local one) and the final state;
//   3. chunk output: every chunk from its incoming state -> h (intra-chunk part like attention).
#pragma once

namespace sl {
__device__ __forceinline__ float ninf() { return __int_as_float(0xff800000); }
}

// Pass 1. Grid (NCH, NH, B); dynamic smem (2·Q·DH + 3·Q) floats.
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_state(
    const float* k, const float* v, const float* ig, const float* fg,
    float* Cl, float* nl, float* ml, float* gl, int L, int NH, int DH, int Q)
{
    extern __shared__ float smem[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    float* sk = smem;                 // (Q, DH): k̂ weighted by exp(a_s − m_loc)
    float* sv = sk + Q * DH;          // (Q, DH)
    float* sb = sv + Q * DH;          // (Q) running Σ log f
    float* si = sb + Q;               // (Q) input gates
    float* sw = si + Q;               // (Q) weights
    __shared__ float sm, sg;
    const float scale = rsqrtf((float)DH);
    for (int s = threadIdx.x; s < qn; s += blockDim.x) {
        const size_t gi = ((size_t)b * L + t0 + s) * NH + hh;
        sb[s] = sl_logsigmoid(fg[gi]);
        si[s] = ig[gi];
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        float acc = 0.f;
        for (int s = 0; s < qn; ++s) { acc += sb[s]; sb[s] = acc; }
        float m = sl::ninf();
        for (int s = 0; s < qn; ++s) m = fmaxf(m, acc - sb[s] + si[s]);
        for (int s = 0; s < qn; ++s) sw[s] = __expf(acc - sb[s] + si[s] - m) * scale;
        sm = m; sg = acc;
    }
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

// Pass 2. One thread per state element (DH·DH of C, then DH of n) per (b, head).
extern "C" __global__ void mlstm_combine(float* C, float* n, float* m, float* Cl, float* nl, const float* ml,
                                         const float* gl, float* mIn, int Bsz, int NH, int DH, int nch)
{
    const int per = DH * DH + DH;
    const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)Bsz * NH * per) return;
    const size_t bh = i / per;
    const int idx = (int)(i - bh * per);
    const bool isC = idx < DH * DH;
    float* st = isC ? &C[bh * DH * DH + idx] : &n[bh * DH + (idx - DH * DH)];
    float cur = *st;
    float mprev = m[bh];
#pragma unroll 4
    for (int c = 0; c < nch; ++c) {
        const size_t cb = bh * nch + c;
        float* loc = isC ? &Cl[cb * DH * DH + idx] : &nl[cb * DH + (idx - DH * DH)];
        const float g = gl[cb], mloc = ml[cb];
        const float mnew = fmaxf(g + mprev, mloc);
        const float fdec = (mprev == sl::ninf() || mnew == sl::ninf()) ? 0.f : __expf(g + mprev - mnew);
        const float lw = (mloc == sl::ninf()) ? 0.f : __expf(mloc - mnew);
        const float l = *loc;
        *loc = cur;
        if (idx == 0) mIn[cb] = mprev;
        cur = fdec * cur + lw * l;
        mprev = mnew;
    }
    *st = cur;   // m itself is updated by mlstm_final_m: every thread of this launch still reads it
}

// After mlstm_combine: the final stabilizer per (b, head), the same max-chain.
extern "C" __global__ void mlstm_final_m(float* m, const float* ml, const float* gl, int bh, int nch)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= bh) return;
    float mprev = m[i];
    for (int c = 0; c < nch; ++c) mprev = fmaxf(gl[(size_t)i * nch + c] + mprev, ml[(size_t)i * nch + c]);
    m[i] = mprev;
}

// Pass 3. Grid (NCH, NH, B); 256 threads; dynamic smem
// (2·Q·(DH+1) + Q·DH + Q·(Q+1) + 5·Q) floats. Each thread of the output stage computes 4 tokens
// of one value channel so every loaded C/v element feeds 4 FMAs.
extern "C" __global__ void __launch_bounds__(256) mlstm_chunk_out(
    const float* q, const float* k, const float* v, const float* ig, const float* fg,
    const float* Cin, const float* nIn, const float* mIn, float* h, int L, int NH, int DH, int Q, float eps)
{
    extern __shared__ float smem[];
    const int c = blockIdx.x, hh = blockIdx.y, b = blockIdx.z, nch = gridDim.x;
    const int t0 = c * Q, qn = min(Q, L - t0);
    const int DP = DH + 1;            // padded rows: conflict-free column walks
    const int SP = Q + 1;
    float* sq = smem;                 // (Q, DP)
    float* sk = sq + Q * DP;          // (Q, DP)
    float* sv = sk + Q * DP;          // (Q, DH)
    float* sS = sv + Q * DH;          // (Q, SP) decay-weighted q·k̂
    float* sb = sS + Q * SP;
    float* si = sb + Q;
    float* smt = si + Q;
    float* sw = smt + Q;
    float* sden = sw + Q;
    const float scale = rsqrtf((float)DH);
    const size_t cb = ((size_t)b * NH + hh) * nch + c;
    const float mi = mIn[cb];
    const float* Cc = Cin + cb * DH * DH;
    const float* nc = nIn + cb * DH;

    for (int s = threadIdx.x; s < qn; s += blockDim.x) {
        const size_t gi = ((size_t)b * L + t0 + s) * NH + hh;
        sb[s] = sl_logsigmoid(fg[gi]);
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
        float acc = 0.f;
        for (int s = 0; s < qn; ++s) { acc += sb[s]; sb[s] = acc; }
    }
    __syncthreads();
    for (int t = threadIdx.x; t < qn; t += blockDim.x) {
        float mt = sb[t] + mi;
        for (int s = 0; s <= t; ++s) mt = fmaxf(mt, sb[t] - sb[s] + si[s]);
        smt[t] = mt;
        sw[t] = (mi == sl::ninf()) ? 0.f : __expf(sb[t] + mi - mt);
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < qn * qn; idx += blockDim.x) {
        const int t = idx / qn, s = idx - t * qn;
        float val = 0.f;
        if (s <= t) {
            float dot = 0.f;
            for (int i = 0; i < DH; ++i) dot = fmaf(sq[t * DP + i], sk[s * DP + i], dot);
            val = __expf(sb[t] - sb[s] + si[s] - smt[t]) * dot * scale;
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
        sden[t] = fmaxf(fabsf(d), __expf(-smt[t])) + eps;
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
                acc[r] = fmaf(s <= tb + r ? sS[t * SP + s] : 0.f, vs, acc[r]);
            }
        }
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int t = tb + r;
            if (t < qn) h[(((size_t)b * L + t0 + t) * NH + hh) * DH + j] = acc[r] / sden[t];
        }
    }
}
