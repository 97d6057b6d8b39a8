#!/usr/bin/env bash
# GPU call: the fused mLSTM with the next chunk's q, k, gates and v prefetched (_bq builds at DH 128/256/512):
# harness checks and fused timings against HEAD's kernel (gpu-run/old), then the backend's self-check and
# CudaBench --mlstm-only.
set -u
R=$OUT/pf; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
NV="nvcc -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v"
$NV -o /tmp/b_new scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_new.txt 2>&1 &
$NV -o /tmp/b_old gpu-run/old/scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_old.txt 2>&1 &
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
wait
for v in new old; do grep -A2 'mlstm_fused\|gate_prep' /tmp/ptxas_$v.txt | grep -E 'Compiling|registers|spill' | paste - - - | sed 's/ptxas info    ://g' | cut -c1-200 > $R/ptxas_$v.txt; done
cat $R/ptxas_new.txt | grep -o "'[a-z0-9_]*'.*Used [0-9]* registers" | sed 's/ for.*Used/:/'
timeout 150 /tmp/b_new $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'passed\|worst\|fused DH' $R/new.txt
timeout 120 /tmp/b_old $R/old.json $R/old_checks.txt --fused-timing > $R/old.txt 2>&1; echo "old rc $?"
for v in old new; do echo "== $v"; grep 'fused' $R/$v.txt | grep ' ms ' | awk '{print $1,$2,$3,$4,$5,$7}'; done
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep -A1 'fused' $R/bench_mlstm.txt | cut -c1-120
