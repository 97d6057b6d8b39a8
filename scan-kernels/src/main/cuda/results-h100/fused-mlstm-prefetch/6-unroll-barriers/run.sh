#!/usr/bin/env bash
# GPU call: the fused mLSTM's key-dim loops unrolled (v-unroll), then also the two barriers around m_τ / w_τ removed
# (each thread forms max(m⁻, a_τ) for its rows; new), against the previous commit (old): harness checks of new,
# fused timings of all three; CudaSelfCheck and CudaBench --mlstm-only of new.
set -u
R=$OUT/pf4; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
NV="nvcc -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v"
$NV -o /tmp/b_new scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_new.txt 2>&1 &
$NV -o /tmp/b_old gpu-run/old/scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_old.txt 2>&1 &
$NV -o /tmp/b_unroll gpu-run/v-unroll/scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_unroll.txt 2>&1 &
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
wait
for v in old unroll new; do echo "$v: $(grep -A2 'mlstm_fused_d' /tmp/ptxas_$v.txt | grep -o 'Used [0-9]* registers' | paste -sd' ')"; done
timeout 150 /tmp/b_new $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'passed\|fused worst\|fused DH' $R/new.txt
timeout 60 /tmp/b_old $R/old.json $R/old_checks.txt --fused-timing-only > $R/old.txt 2>&1; echo "old rc $?"
timeout 60 /tmp/b_unroll $R/unroll.json $R/unroll_checks.txt --fused-timing-only > $R/unroll.txt 2>&1; echo "unroll rc $?"
for v in old unroll new; do grep 'fused' $R/$v.txt | grep ' ms ' | awk '{print $1,$2,$3,$4,$5,$7}' > /tmp/t_$v.txt; done
paste -d' ' /tmp/t_old.txt <(awk '{print $5}' /tmp/t_unroll.txt) <(awk '{print $5}' /tmp/t_new.txt) | awk 'BEGIN{print "shape path old unroll new"}{print}' | tee $R/summary.txt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep -A1 'fused' $R/bench_mlstm.txt | grep -v '^--' | paste - - | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$11,$14}'
