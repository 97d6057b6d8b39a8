#!/usr/bin/env bash
# GPU run: standalone 3xTF32 GEMMs on wgmma (src/test/cuda/gemm_wgmma_check.cu, built here with nvcc -gencode arch=compute_90a,code=sm_90a)
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 200 gpu-run/gw > $R/gemm_wgmma.txt 2>&1; echo "rc $?"; cat $R/gemm_wgmma.txt
