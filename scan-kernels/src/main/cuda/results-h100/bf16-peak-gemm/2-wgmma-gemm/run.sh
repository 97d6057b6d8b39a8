#!/usr/bin/env bash
# GPU call: the bf16 GEMM on wgmma (gemm_bf16_wgmma.cuh, x converted to bf16 first): CudaBench --gemm-only (WMMA, mma.sync
# and wgmma rows against the measured peak), CudaSelfCheck (bf16 conformance runs every Bf16Gemm), De-focus-B and
# vil2-B-sized models in bf16 mode with bf16Gemm=mma and wgmma alternating twice.
set -u
R=$OUT/gw; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only --max-gib 75 --json $R/bench_gemm.json > $R/bench_gemm.txt 2>&1; echo "bench gemm rc $?"
grep 'measured' $R/bench_gemm.txt
grep 'linear_bf16' $R/bench_gemm.txt | awk '{print $1,$2,$3,$4,$5,$9}'
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8; grep -c "WGMMA" $R/selfcheck.txt
DB="bench-models --backend cuda --chunk 4096 --repeats 3 --family defocus_mamba --set embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48 --sizes 1024,4096"
VB="bench-models --backend cuda --chunk 4096 --repeats 3 --family vil2 --set dim=768,depth=12 --sizes 1024,4096"
for rep in 1 2; do for g in mma wgmma; do
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli $DB --backend-option bf16Gemm=$g >> $R/defocus_bf16_$g.txt 2>&1; echo "defocus $g rc $?"
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli $VB --backend-option bf16Gemm=$g >> $R/vilb_bf16_$g.txt 2>&1; echo "vil2-B $g rc $?"
done; done
for f in $R/defocus_bf16_*.txt $R/vilb_bf16_*.txt; do echo "$f"; grep -i "tokens/s\|^ *[a-z_0-9]* *[0-9]*²\|1024\|4096" $f | grep -v "^#" | tail -6; done
