#!/usr/bin/env bash
# GPU call, final code of the round (22ba5a6): CudaSelfCheck, CudaBench --mlstm-only, and ViL-B-sized (dim 768, DH 384)
# and ViL-S-sized (dim 384, DH 192) vil2 in bf16 with fusedKernel wgmma and mma alternating twice.
set -u
R=$OUT/final2; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 220 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep -A1 'fused' $R/bench_mlstm.txt | grep -v '^--' | paste - - | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$11,$14}'
for m in "vilb 768" "vils 384"; do
  set -- $m
  for qk in wgmma mma wgmma mma; do
    echo "== fusedKernel=$qk" >> $R/bench_$1_bf16.txt
    timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --set dim=$2,depth=12 --sizes 1024,4096 --chunk 4096 --repeats 3 --backend-option fusedKernel=$qk >> $R/bench_$1_bf16.txt 2>&1; echo "$1 $qk rc $?"
  done
  grep '^== \|^vil2' $R/bench_$1_bf16.txt | awk '{print $1,$2,$3,$7}'
done
