// Launch rules of the bf16 three-pass mLSTM (mirrors of CudaOps.mlstmBf16Chunk and the shared-memory
// formulas of mlstm_bf16.cuh), shared by the CUDA harness and the CPU warp-emulator check.
// Glossary: Q chunk length, DH head dim, NS column slab of the output pass.
#pragma once
#include <algorithm>
#include <cstdio>
#include <cstdlib>

static const int SMEM_CAP = 200 * 1024;
static int slab_of(int dh) { return dh <= 128 ? dh : dh % 64 == 0 ? 64 : dh % 32 == 0 ? 32 : 16; }
static long long bf_state_smem(int q, int dh) { return 4LL * q * (dh + 8) + 24LL * q + 16; }
static long long bf_out_smem(int q, int dh) {
    const long long ns = slab_of(dh), dp = dh + 8, np = ns + 8, qp = q + 8, sf = std::max<long long>(q, ns) + 4;
    return 2 * q * dp + 2 * std::max(q * dp, dh * np) + 2 * q * np + 2 * q * qp + 4 * q * sf + 28LL * q;
}
static int bf_chunk(int req, int l, int dh) {
    int q = std::max(16, req / 16 * 16);
    q = std::min(q, (std::max(1, l) + 15) / 16 * 16);
    while (q > 16 && std::max(bf_out_smem(q, dh), bf_state_smem(q, dh)) > SMEM_CAP) q = std::max(16, q / 32 * 16);
    if (std::max(bf_out_smem(q, dh), bf_state_smem(q, dh)) > SMEM_CAP) { fprintf(stderr, "DH %d too large\n", dh); exit(2); }
    return q;
}
