#!/usr/bin/env bash
# GPU call: Nsight Compute of one fused mLSTM walk (mlstm_bf16_check --profile: B1 L16384 NH8 DH512, G 1, fp32 q/k
# build) with source-level stall sampling, to find where a chunk's ~19K cycles go.
set -u
R=$OUT/ncu; mkdir -p $R
nvcc -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -o /tmp/b_new scan-kernels/src/test/cuda/mlstm_bf16_check.cu
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true); echo "ncu: $ncu"; $ncu --version | tail -1
timeout 300 $ncu --set full --import-source yes -k regex:mlstm_fused_d512 -c 1 -o /tmp/rep /tmp/b_new /tmp/p.json /tmp/p.txt --profile > $R/ncu_run.txt 2>&1; echo "ncu rc $?"
$ncu -i /tmp/rep.ncu-rep --print-details all > $R/details.txt 2>&1
$ncu -i /tmp/rep.ncu-rep --page source --csv --print-source cuda > $R/source_cuda.csv 2>&1; echo "cuda csv rc $?"
$ncu -i /tmp/rep.ncu-rep --page source --csv --print-source sass > $R/source_sass.csv 2>&1; echo "sass csv rc $?"
ls -la $R; head -3 $R/source_cuda.csv | cut -c1-600
xz -k $R/source_sass.csv 2>/dev/null; ls -la $R
