#!/usr/bin/env bash
# GPU call: the 3xTF32 wgmma GEMM with stages in pairs on two accumulators (one drain a pair) against the previous
# build (gw_old): the standalone harness (float64 reference, timings) of both, CudaBench --gemm-only, CudaSelfCheck.
set -u
R=$OUT/tf; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
for v in old new; do timeout 120 gpu-run/gw_$v > $R/harness_$v.txt 2>&1; echo "harness $v rc $?"; done
for v in old new; do timeout 120 gpu-run/gw_$v > $R/harness_${v}2.txt 2>&1; echo "harness $v (2) rc $?"; done
paste <(grep -o 'M[0-9]* K[0-9]* N[0-9]*.*wgmma [0-9.]* ms' $R/harness_old.txt) <(grep -o 'wgmma [0-9.]* ms' $R/harness_new.txt) <(grep -o 'wgmma [0-9.]* ms' $R/harness_old2.txt) <(grep -o 'wgmma [0-9.]* ms' $R/harness_new2.txt) | sed 's/: rel err [^ ]* (tol 1e-5)//'
grep -h "failed" $R/harness_*.txt
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only --max-gib 75 --json $R/bench_gemm.json > $R/bench_gemm.txt 2>&1; echo "bench gemm rc $?"
grep 'linear_fp32' $R/bench_gemm.txt | awk '{print $1,$2,$3,$4,$5,$9}'
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
