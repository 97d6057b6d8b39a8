#!/usr/bin/env bash
# GPU run: the 3xTF32 GEMM with 16 warps of 32 x 32 (gemm_nt_tf32x3_w16) next to the 8-warp build.
# Self-check (its conformance runs every linear shape through both builds); CudaBench --gemm-only (both builds
# per shape); base-dim models A/B (tf32GemmWarps=16 / 8) alternating twice.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
grep "linear M" $R/selfcheck.txt | grep "w16" | head -5
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only --json $R/bench_gemm.json > $R/bench_gemm.txt 2>&1; echo "bench rc $?"; grep "linear_fp32" $R/bench_gemm.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for wv in 16 8 16 8; do
  echo "== tf32GemmWarps=$wv" >> $R/ab.txt
  timeout 100 $J $NOW $B --sizes 1024,4096 --family adventurer --set embed_dim=768,depth=12 --backend-option tf32GemmWarps=$wv >> $R/ab.txt 2>&1
  timeout 100 $J $NOW $B --sizes 1024,4096 --family vim --set embed_dim=768,depth=24 --backend-option tf32GemmWarps=$wv >> $R/ab.txt 2>&1
done
grep "==\|x1024\|x4096" $R/ab.txt
tar -czf $OUT/results.tgz -C $OUT r
