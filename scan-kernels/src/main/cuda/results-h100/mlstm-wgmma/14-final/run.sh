#!/usr/bin/env bash
# final call: harness checks and timings, backend self-check, mLSTM bench, ViL-B vil2 bf16 (mma / wgmma alternating)
set -u
R=$OUT/wg14; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
timeout 200 gpu-run/mlstm_check $R/harness.json /tmp/harness_checks.txt --fused-timing > $R/harness.txt 2>&1; echo "harness rc $?"
grep -i 'passed\|fused worst' $R/harness.txt
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep "fused_bf16_bq\|fused_bf16_wg\|DH192\|DH64 " $R/bench_mlstm.txt
for qk in mma wgmma mma wgmma; do
  echo "== fusedKernel=$qk" >> $R/bench_vil2_bf16.txt
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --set dim=768,depth=12 --sizes 1024,4096 --chunk 4096 --repeats 3 --backend-option fusedKernel=$qk >> $R/bench_vil2_bf16.txt 2>&1; echo "vil2 $qk rc $?"
done
grep '^== \|^vil2' $R/bench_vil2_bf16.txt | awk '{print $1,$2,$3,$7}'
for qk in mma wgmma mma wgmma; do
  echo "== fusedKernel=$qk" >> $R/bench_vils_bf16.txt
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --set dim=384,depth=12 --sizes 1024,4096 --chunk 4096 --repeats 3 --backend-option fusedKernel=$qk >> $R/bench_vils_bf16.txt 2>&1; echo "vil2-S $qk rc $?"
done
grep '^== \|^vil2' $R/bench_vils_bf16.txt | awk '{print $1,$2,$3,$7}'
