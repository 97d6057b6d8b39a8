#!/usr/bin/env bash
# GPU run: ViL window rows released when evicted and chunk gathers in op scopes; patch embedding in pieces of
# up to 4096 patches (was 256); Backend.release. Self-check, ViL and Adventurer goldens, A/B against the
# previous commit's classes (OLD) in one call, alternating.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
OLD="-cp gpu-run/old.jar:gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -5; grep "release" $R/selfcheck.txt
( for c in vil2_d2_64x64 vil1_d4_64x64 adventurer_d4_e128_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for side in NOW OLD NOW OLD; do
  eval "CP=\$$side"
  echo "== $side" >> $R/ab.txt
  timeout 150 $J $CP $B --sizes 1024,4096 >> $R/ab.txt 2>&1
done
grep "==\|x1024\|x4096" $R/ab.txt
for side in NOW OLD; do
  eval "CP=\$$side"
  echo "== $side" >> $R/ab16k.txt
  timeout 150 $J $CP $B --family vil2,vil1 --sizes 16384 >> $R/ab16k.txt 2>&1
done
grep "==\|x16384\|collections" $R/ab16k.txt
timeout 150 $J $NOW $B --family vil2 --sizes 4096 --profile-ops > $R/profile_vil2.txt 2>&1
grep -A12 "op profile" $R/profile_vil2.txt | head -14; tail -1 $R/profile_vil2.txt
tar -czf $OUT/results.tgz -C $OUT r
