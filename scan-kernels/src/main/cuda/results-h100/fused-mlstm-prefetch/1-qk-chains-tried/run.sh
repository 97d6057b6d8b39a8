#!/usr/bin/env bash
# GPU call: the fused mLSTM harness (mlstm_bf16_check) A/B: HEAD's kernel (gpu-run/old), the new one, the new one
# without the next chunk's q/k prefetch (nopf) and without the split accumulator chains (nochain).
set -u
R=$OUT/h; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mk() {  # name: a copy of the kernel and harness sources under /tmp/$1
  mkdir -p /tmp/$1/src/main/cuda /tmp/$1/src/test/cuda
  cp scan-kernels/src/main/cuda/*.cu* /tmp/$1/src/main/cuda/
  cp scan-kernels/src/test/cuda/*.cu* scan-kernels/src/test/cuda/*.hpp /tmp/$1/src/test/cuda/
}
mk nopf; mk nochain
sed -i 's/constexpr bool PF = BQ && prefetches(MI, Q);/constexpr bool PF = false;/' /tmp/nopf/src/main/cuda/mlstm_fused.cuh
sed -i 's/constexpr int SS = FS == 1 ? 4 : 1;/constexpr int SS = 1;/; s/constexpr int SO = FO == 2 ? 2 : 1;/constexpr int SO = 1;/' /tmp/nochain/src/main/cuda/mlstm_fused.cuh
echo "nopf edits: $(grep -c 'PF = false' /tmp/nopf/src/main/cuda/mlstm_fused.cuh) nochain edits: $(grep -c 'int S[SO] = 1;' /tmp/nochain/src/main/cuda/mlstm_fused.cuh)"
NV="nvcc -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v"
$NV -o /tmp/b_new scan-kernels/src/test/cuda/mlstm_bf16_check.cu > $R/ptxas_new.txt 2>&1 &
$NV -o /tmp/b_old gpu-run/old/scan-kernels/src/test/cuda/mlstm_bf16_check.cu > $R/ptxas_old.txt 2>&1 &
$NV -o /tmp/b_nopf /tmp/nopf/src/test/cuda/mlstm_bf16_check.cu > $R/ptxas_nopf.txt 2>&1 &
$NV -o /tmp/b_nochain /tmp/nochain/src/test/cuda/mlstm_bf16_check.cu > $R/ptxas_nochain.txt 2>&1 &
wait
for v in new old nopf nochain; do grep -A2 'mlstm_fused' $R/ptxas_$v.txt | grep -E 'registers|spill' | grep -o 'Used [0-9]* registers\|[0-9]* bytes spill stores' | paste -sd' ' | sed "s/^/$v: /"; done
timeout 240 /tmp/b_new $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'passed\|worst' $R/new.txt
timeout 100 /tmp/b_old $R/old.json $R/old_checks.txt --fused-timing > $R/old.txt 2>&1; echo "old rc $?"
timeout 60 /tmp/b_nopf $R/nopf.json $R/nopf_checks.txt --fused-timing-only > $R/nopf.txt 2>&1; echo "nopf rc $?"
timeout 60 /tmp/b_nochain $R/nochain.json $R/nochain_checks.txt --fused-timing-only > $R/nochain.txt 2>&1; echo "nochain rc $?"
for v in old nochain nopf new; do echo "== $v"; grep 'fused' $R/$v.txt | grep ' ms ' | awk '{print $1,$2,$3,$4,$5,$7,$9}'; done
