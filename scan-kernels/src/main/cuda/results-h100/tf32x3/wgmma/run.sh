#!/usr/bin/env bash
# GPU run: the 3xTF32 GEMM on wgmma (sm_90a build) in the backend. Self-check (its conformance runs every linear
# shape through wgmma where the sm_90a build loaded); goldens of the GEMM-heavy families whole and in chunks of 7;
# CudaBench --gemm-only; base-dim models A/B (fp32Gemm=auto, i.e. wgmma, against tf32x3) alternating twice.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
echo "linear comparisons through wgmma: $(grep -c 'linear M.* wgmma' $R/selfcheck.txt)"; grep "linear M.*wgmma" $R/selfcheck.txt | head -3
( for c in vim_d2_64x64 adventurer_d4_e128_64x64 vil2_d2_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only --json $R/bench_gemm.json > $R/bench_gemm.txt 2>&1; echo "bench rc $?"; grep "linear_fp32" $R/bench_gemm.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for f in auto tf32x3 auto tf32x3; do
  echo "== fp32Gemm=$f" >> $R/ab.txt
  timeout 100 $J $NOW $B --sizes 1024,4096 --family adventurer --set embed_dim=768,depth=12 --backend-option fp32Gemm=$f >> $R/ab.txt 2>&1
  timeout 100 $J $NOW $B --sizes 1024,4096 --family vim --set embed_dim=768,depth=24 --backend-option fp32Gemm=$f >> $R/ab.txt 2>&1
  timeout 100 $J $NOW $B --sizes 1024,4096 --family defocus_mamba --set embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48 --backend-option fp32Gemm=$f >> $R/ab.txt 2>&1
done
grep "==\|x1024\|x4096\|rror" $R/ab.txt | head -40
tar -czf $OUT/results.tgz -C $OUT r
