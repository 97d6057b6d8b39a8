#!/usr/bin/env bash
# GPU call after the review (f912d14): CudaSelfCheck and CudaBench --gemm-only (the bench's bf16 kernel filter, the shares
# computed once, the 128x256 tile count in one place, the 3xTF32 wgmma GEMM on slwg::desc_k).
set -u
R=$OUT/review; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only --max-gib 75 --json $R/bench_gemm.json > $R/bench_gemm.txt 2>&1; echo "bench gemm rc $?"
grep 'measured' $R/bench_gemm.txt; grep 'linear_' $R/bench_gemm.txt | awk '{print $1,$2,$3,$4,$5,$9}'; grep -c roofline $R/bench_gemm.txt
