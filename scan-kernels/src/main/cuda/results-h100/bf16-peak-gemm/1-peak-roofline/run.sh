#!/usr/bin/env bash
# GPU call: the measured bf16 tensor-core peak (peak_probe.cuh) and the roofline column in CudaBench; q and k converted
# to bf16 in one launch in the fused mLSTM path. CudaSelfCheck, CudaBench --mlstm-only and --gemm-only.
set -u
R=$OUT/peak; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.sm,power.limit --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench mlstm rc $?"
grep 'peak\|probe' $R/bench_mlstm.txt | head -8
grep -A1 'fused_bf16_wg' $R/bench_mlstm.txt | grep -v '^--' | paste - - | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$11,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26}' | head -20
timeout 120 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only --max-gib 75 --json $R/bench_gemm.json > $R/bench_gemm.txt 2>&1; echo "bench gemm rc $?"
grep 'peak\|probe' $R/bench_gemm.txt | head -8
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
