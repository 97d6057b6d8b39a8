#!/usr/bin/env bash
# GPU call: Nsight Compute of one fused walk of the prefetching _bq build (B1 L16384 NH8 DH512, G 1) with source-level
# stall sampling, summarised by the block barriers that split a chunk and by opcode.
set -u
R=$OUT/ncu2; mkdir -p $R
nvcc -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -o /tmp/b_new scan-kernels/src/test/cuda/mlstm_bf16_check.cu 2>/dev/null
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu); $ncu --version | tail -1
timeout 300 $ncu --set full --import-source yes -k regex:mlstm_fused_d512_bq -c 1 -o /tmp/rep /tmp/b_new /tmp/p.json /tmp/p.txt --profile > $R/ncu_run.txt 2>&1; echo "ncu rc $?"
$ncu -i /tmp/rep.ncu-rep --print-details all > $R/details.txt 2>&1
$ncu -i /tmp/rep.ncu-rep --page source --csv --print-source sass > $R/source_sass.csv 2>&1
xz -9 $R/details.txt $R/source_sass.csv; ls -la $R
cp /tmp/rep.ncu-rep $R/ 2>/dev/null; ls -la $R
