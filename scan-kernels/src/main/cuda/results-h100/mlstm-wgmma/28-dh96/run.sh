#!/usr/bin/env bash
# GPU call: the wgmma mLSTM at DH 96 (ViL-T's head dim: key channels padded to 128, the second value slab to 128):
# harness checks and fused timings, CudaSelfCheck, CudaBench --mlstm-only, ViL-T vil2 (tiny dims) in bf16 with
# fusedKernel wgmma and mma (the three-pass form at DH 96) alternating twice.
set -u
R=$OUT/d96; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 200 /tmp/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "harness rc $?"; grep 'wgmma unit\|^passed\|fused worst' $R/new.txt | head
grep 'DH96' $R/new.txt | grep ' ms ' | awk '{print $1,$2,$3,$4,$5,$7}'
rm -f $R/new.json
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 220 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep 'DH96' $R/bench_mlstm.txt | grep 'bf16' | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$11}'
for qk in wgmma mma wgmma mma; do
  echo "== fusedKernel=$qk" >> $R/bench_vilt_bf16.txt
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --sizes 1024,4096 --chunk 4096 --repeats 3 --backend-option fusedKernel=$qk >> $R/bench_vilt_bf16.txt 2>&1; echo "vil2-T $qk rc $?"
done
grep '^== \|^vil2' $R/bench_vilt_bf16.txt | awk '{print $1,$2,$3,$7}'
