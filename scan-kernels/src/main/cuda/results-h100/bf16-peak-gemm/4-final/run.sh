#!/usr/bin/env bash
# GPU call at the round's final code: the mLSTM harness (wgmma unit checks, float64-reference checks, fused timings),
# CudaSelfCheck, CudaBench --mlstm-only and --gemm-only (measured peak, rooflines, the wgmma bf16 GEMM).
set -u
R=$OUT/final; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 200 /tmp/mlstm_check $R/h.json $R/harness_checks.txt --fused-timing > $R/harness.txt 2>&1; echo "harness rc $?"; grep 'wgmma unit\|passed\|FAIL' $R/harness.txt | head -6; rm -f $R/h.json
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench mlstm rc $?"
grep 'measured' $R/bench_mlstm.txt; grep -A1 'fused_bf16_wg B8 L16384 NH8 DH512' $R/bench_mlstm.txt | cut -c1-200
timeout 120 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only --max-gib 75 --json $R/bench_gemm.json > $R/bench_gemm.txt 2>&1; echo "bench gemm rc $?"
grep 'measured' $R/bench_gemm.txt; grep 'linear_bf16' $R/bench_gemm.txt | awk '{print $1,$2,$3,$4,$5,$9}'
