// Launch rules of the three-pass tensor-core mLSTM (mirrors of CudaOps.MmaOperands.chunk and the shared-memory
// formulas of mlstm_mma.cuh) in its two operand forms, shared by the CUDA harness and the CPU warp-emulator
// check. Glossary: Q chunk length, DH head dim, NS column slab of the output pass, ES bytes of a staged
// operand, PAD its row pad in elements (bf16: 2, 8; 3xTF32: 4, 4).
#pragma once
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

static const int SMEM_CAP = 200 * 1024;        // the fp32 CUDA-core kernels
static const int MMA_SMEM_CAP = 227 * 1024;    // the tensor-core passes: all an sm_90 block can opt into
struct MmaForm { long long es, pad; };
static const MmaForm BF16_FORM{2, 8}, TF32_FORM{4, 4};
static int slab_of(int dh) { return dh <= 128 ? dh : dh % 64 == 0 ? 64 : dh % 32 == 0 ? 32 : 16; }
static long long mma_state_smem(MmaForm f, int q, int dh) { return 2 * f.es * q * (dh + f.pad) + 24LL * q + 16; }
static long long mma_out_smem(MmaForm f, int q, int dh) {
    const long long ns = slab_of(dh), dp = dh + f.pad, np = ns + f.pad, qp = q + f.pad, sf = std::max<long long>(q, ns) + 4;
    return f.es * (q * dp + std::max(q * dp, dh * np) + q * np + q * qp) + 4 * q * sf + 28LL * q;
}
static int mma_chunk(MmaForm f, int req, int l, int dh) {
    int q = std::max(16, req / 16 * 16);
    q = std::min(q, (std::max(1, l) + 15) / 16 * 16);
    while (q > 16 && std::max(mma_out_smem(f, q, dh), mma_state_smem(f, q, dh)) > MMA_SMEM_CAP) q -= 16;
    if (std::max(mma_out_smem(f, q, dh), mma_state_smem(f, q, dh)) > MMA_SMEM_CAP) { fprintf(stderr, "DH %d too large\n", dh); exit(2); }
    return q;
}
inline long long bf_state_smem(int q, int dh) { return mma_state_smem(BF16_FORM, q, dh); }
inline long long bf_out_smem(int q, int dh) { return mma_out_smem(BF16_FORM, q, dh); }
inline int bf_chunk(int req, int l, int dh) { return mma_chunk(BF16_FORM, req, l, dh); }

// Segment count of the fused mLSTM (mirror of FusedSegments.choose, held to FusedSegmentsTest's picks by the CPU
// emulator's checks, emu/mlstm_emu.cpp; FusedSegments's javadoc has the estimate and the H100 sweep
// it was fitted to): the smallest count within 3% of the best (1 + c·[G > 1]) · (spc + [G > 1]) · waves.
inline int fused_effective(int chunks, int g) { const int spc = (chunks + g - 1) / g; return (chunks + spc - 1) / spc; }
inline double fused_waves(long long pieces, int sms, int perSm) {
    if (perSm == 1) return (double)((pieces + sms - 1) / sms);
    const long long slots = 2LL * sms, full = pieces / slots, rest = pieces % slots;
    return full * 1.55 + (rest == 0 ? 0.0 : rest <= sms ? 1.0 : 1.55);
}
inline int fused_segment_count(long long blocks, int chunks, int sms, int perSm, int dh) {
    const double c = dh <= 256 ? 0.25 : 0.7;
    const int limit = std::min(chunks, 1024);
    std::vector<double> cost(limit + 1, 0.0);
    double best = 1e300;
    for (int g = 1; g <= limit; ++g) {
        const int eff = fused_effective(chunks, g), spc = (chunks + eff - 1) / eff;
        cost[eff] = (eff > 1 ? (1 + c) * (spc + 1.0) : (double)spc) * fused_waves(blocks * eff, sms, perSm);
        best = std::min(best, cost[eff]);
    }
    for (int g = 1; g <= limit; ++g) if (cost[g] > 0 && cost[g] <= best * 1.03) return g;
    return 1;
}
