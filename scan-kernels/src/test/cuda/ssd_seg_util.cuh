// The segment SSD (ssd_seg.cuh) launched as CudaOps launches it, shared by the SSD harnesses
// (ssd_seg_check.cu): the variant table entry, its occupancy, the launch rule's chunk
// length and the launch (state pass, ss_combine and output pass when the sequence is cut).
// Glossary: B batch, L tokens, H heads, P head dim, E = H·P, N state size, G groups, NCH chunks.
#pragma once
#include <algorithm>
#include "scan_check_util.cuh"

typedef void (*SegFn)(SL_SEG_ARGS);
struct SegVariant { const char* name; SegFn state, out; int nmax, pb, threads, tokens, smem; };
#define SEG_V(NM, PBV, SV, TS) {"n" #NM "_p" #PBV "_s" #SV "_t" #TS, ssd_seg_state_n##NM##_p##PBV##_s##SV##_t##TS, \
    ssd_seg_out_n##NM##_p##PBV##_s##SV##_t##TS, NM, PBV, PBV * SV, SV * TS, sl::SegLayout<NM, PBV, SV, TS>::BYTES}

static int blocks_per_sm(const SegVariant& v) {
    int n = 0;
    CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, v.out, v.threads, v.smem));
    return n;
}
// Launch rule (mirrored in CudaOps): one pass when B·H·⌈P/PB⌉ blocks fill at least half of the SMs'
// resident blocks (a second pass over x costs more than idle slots), else enough chunks to fill them
// about six times (each chunk at least 4 tiles).
static int seg_chunk(const SegVariant& v, int b, int l, int heads, int p) {
    long long blocks = (long long)b * heads * ((p + v.pb - 1) / v.pb);
    long long slots = (long long)sm_count * blocks_per_sm(v);
    if (2 * blocks >= slots || l <= 8 * v.tokens) return std::max(1, l);
    long long nch = std::min((6 * slots + blocks - 1) / blocks, (long long)std::max(1, l / (4 * v.tokens)));
    return (int)((l + nch - 1) / nch);
}

static void launch_seg(const SegVariant& v, int chunk, const float* x, const float* dt, const float* a, const float* bm,
                       const float* cm, const float* d, const float* db, int sp, float* h, float* y,
                       int b, int l, int heads, int p, int n, int g, float* hloc, float* sdelta)
{
    if (l == 0) return;
    if (chunk <= 0) chunk = seg_chunk(v, b, l, heads, p);
    chunk = std::min(chunk, l);
    const int nch = (l + chunk - 1) / chunk, e = heads * p;
    dim3 grid(heads * ((p + v.pb - 1) / v.pb), nch, b);
    if (nch > 1) {
        v.state<<<grid, v.threads, v.smem>>>(x, dt, a, bm, cm, d, db, sp, h, hloc, sdelta, nullptr, l, e, n, heads, g, nch, chunk);
        long long total = (long long)b * n * e;
        ss_combine<<<(unsigned)((total + 255) / 256), 256>>>(a, 1, h, hloc, sdelta, b, e, n, heads, nch);
    }
    v.out<<<grid, v.threads, v.smem>>>(x, dt, a, bm, cm, d, db, sp, h, hloc, sdelta, y, l, e, n, heads, g, nch, chunk);
}

