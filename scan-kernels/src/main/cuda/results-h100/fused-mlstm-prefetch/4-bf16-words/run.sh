#!/usr/bin/env bash
# GPU call: the fused mLSTM with the full prefetch and q·n⁻ / n on bf16 words: harness checks and fused timings
# against HEAD's kernel (gpu-run/old) and a DH 384 build at Q 32 (variant d384q32: prefetching fits there);
# the backend's self-check and CudaBench --mlstm-only.
set -u
R=$OUT/pf2; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/v/src/main/cuda /tmp/v/src/test/cuda
cp scan-kernels/src/main/cuda/*.cu* /tmp/v/src/main/cuda/; cp scan-kernels/src/test/cuda/*.cu* scan-kernels/src/test/cuda/*.hpp /tmp/v/src/test/cuda/
sed -i 's/SL_MLSTM_FUSED(mlstm_fused_d384, 3, 64, float)/SL_MLSTM_FUSED(mlstm_fused_d384, 3, 32, float)/; s/SL_MLSTM_FUSED(mlstm_fused_d384_bq, 3, 64, __nv_bfloat16)/SL_MLSTM_FUSED(mlstm_fused_d384_bq, 3, 32, __nv_bfloat16)/' /tmp/v/src/main/cuda/mlstm_fused.cuh
sed -i 's/slmf::smem_bytes(3, 64), slmf::smem_bytes_bq(3, 64), 64, slmf::prefetches(3, 64)/slmf::smem_bytes(3, 32), slmf::smem_bytes_bq(3, 32), 32, slmf::prefetches(3, 32)/' /tmp/v/src/test/cuda/mlstm_bf16_check.cu
echo "variant edits: $(grep -c 'd384.*3, 32' /tmp/v/src/main/cuda/mlstm_fused.cuh) $(grep -c 'prefetches(3, 32)' /tmp/v/src/test/cuda/mlstm_bf16_check.cu)"
NV="nvcc -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v"
$NV -o /tmp/b_new scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_new.txt 2>&1 &
$NV -o /tmp/b_old gpu-run/old/scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_old.txt 2>&1 &
$NV -o /tmp/b_v /tmp/v/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_v.txt 2>&1 &
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
wait
for v in new old v; do grep -A2 'mlstm_fused\|gate_prep' /tmp/ptxas_$v.txt | grep -E 'Compiling|registers|spill' | paste - - - | sed 's/ptxas info    ://g' | cut -c1-200 > $R/ptxas_$v.txt; done
grep -o "'[a-z0-9_]*'.*Used [0-9]* registers" $R/ptxas_new.txt | sed 's/ for.*Used/:/' | paste -sd' '
timeout 150 /tmp/b_new $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'passed\|fused worst\|fused DH' $R/new.txt
timeout 120 /tmp/b_old $R/old.json $R/old_checks.txt --fused-timing > $R/old.txt 2>&1; echo "old rc $?"
timeout 150 /tmp/b_v $R/v.json $R/v_checks.txt --fused-timing > $R/v.txt 2>&1; echo "d384q32 rc $?"; grep 'passed\|fused worst\|fused DH384' $R/v.txt
for v in old new v; do echo "== $v"; grep 'fused' $R/$v.txt | grep ' ms ' | awk '{print $1,$2,$3,$4,$5,$7}'; done
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep -A1 'fused' $R/bench_mlstm.txt | grep -v '^--' | paste - - | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$12}'
