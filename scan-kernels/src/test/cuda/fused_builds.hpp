// The fused mLSTM builds a head dim runs (mlstm_fused.cuh: fp32-input and _bq; mlstm_wgmma.cuh: the wgmma build) and
// their launch figures, shared by the GPU harness (mlstm_bf16_check.cu) and the CPU emulator (emu/mlstm_emu.cpp),
// which include the kernel headers first. Mirrors CudaOps's fused launches.
#pragma once
#include <cstdio>
#include <cstdlib>

template <class QK>
using FusedKernelT = void (*)(const QK*, const QK*, const float*, const float*, const float*, const float*, const float*,
                              const double*, const float*, float*, float*, float*, double*, float*, double*, int, int, int, int,
                              float, int, const unsigned char*);
// fn: fp32 q, k (null for the wgmma build); bq: bf16 q, k; dynamic shared memory of each; q: chunk; threads per block
struct FusedCfg { FusedKernelT<float> fn; FusedKernelT<__nv_bfloat16> bq; int smem, smemBq, q, threads; };

// head dims with a wgmma build (mlstm_wgmma.cuh's instantiations, as CudaOps.WG_DH)
inline bool wg_build_exists(int dh) { return dh == 64 || dh == 96 || dh == 128 || dh == 192 || dh == 256 || dh == 384 || dh == 512; }
// value slabs of a head: blocks per (image, head, segment)
inline int fused_slabs(int dh) { return (dh + 63) / 64; }

// wg: the wgmma build (wg_build_exists, sm_90a) in place of the mma.sync ones (DH 128-512 in steps of 128)
inline FusedCfg fused_build(int dh, bool wg)
{
    if (wg) {
        switch (dh) {
            case 64: return {nullptr, mlstm_wg_d64, 0, slwm::Smem<64>::BYTES, slwm::Q, slwm::threads(64)};
            case 96: return {nullptr, mlstm_wg_d96, 0, slwm::Smem<96>::BYTES, slwm::Q, slwm::threads(96)};
            case 128: return {nullptr, mlstm_wg_d128, 0, slwm::Smem<128>::BYTES, slwm::Q, slwm::threads(128)};
            case 192: return {nullptr, mlstm_wg_d192, 0, slwm::Smem<192>::BYTES, slwm::Q, slwm::threads(192)};
            case 256: return {nullptr, mlstm_wg_d256, 0, slwm::Smem<256>::BYTES, slwm::Q, slwm::threads(256)};
            case 384: return {nullptr, mlstm_wg_d384, 0, slwm::Smem<384>::BYTES, slwm::Q, slwm::threads(384)};
            case 512: return {nullptr, mlstm_wg_d512, 0, slwm::Smem<512>::BYTES, slwm::Q, slwm::threads(512)};
            default: fprintf(stderr, "no wgmma kernel for DH %d\n", dh); exit(2);
        }
    }
    switch (dh) {
        case 128: return {mlstm_fused_d128, mlstm_fused_d128_bq, slmf::smem_bytes(1, 64), slmf::smem_bytes_bq(1, 64), 64, slmf::THREADS};
        case 256: return {mlstm_fused_d256, mlstm_fused_d256_bq, slmf::smem_bytes(2, 64), slmf::smem_bytes_bq(2, 64), 64, slmf::THREADS};
        case 384: return {mlstm_fused_d384, mlstm_fused_d384_bq, slmf::smem_bytes(3, 32), slmf::smem_bytes_bq(3, 32), 32, slmf::THREADS};
        case 512: return {mlstm_fused_d512, mlstm_fused_d512_bq, slmf::smem_bytes(4, 32), slmf::smem_bytes_bq(4, 32), 32, slmf::THREADS};
        default: fprintf(stderr, "no fused kernel for DH %d\n", dh); exit(2);
    }
}
