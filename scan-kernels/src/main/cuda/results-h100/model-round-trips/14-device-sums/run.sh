#!/usr/bin/env bash
# GPU run: fp64 running sums kept on the device (self-check, Adventurer goldens), Adventurer A/B against the
# previous commit's classes, ViL1/ViL2 op profiles at 1024² and 4096².
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
OLD="-cp gpu-run/old.jar:gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -5; grep "fp64 sums\|addSumAxis1" $R/selfcheck.txt
( for c in adventurer_d4_e128_64x64 adventurer_d4_e128_224x224; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|error" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for side in NOW OLD NOW OLD; do
  eval "CP=\$$side"
  echo "== $side adventurer-base" >> $R/adv_ab.txt
  timeout 120 $J $CP $B --family adventurer --set embed_dim=768,depth=12 --sizes 1024,4096 >> $R/adv_ab.txt 2>&1
  echo "== $side adventurer-tiny" >> $R/adv_ab.txt
  timeout 120 $J $CP $B --family adventurer --sizes 1024,4096 >> $R/adv_ab.txt 2>&1
done
grep -v "^\s*$" $R/adv_ab.txt | grep "==\|adventurer" | head -40
for f in vil1 vil2; do
  timeout 150 $J $NOW $B --family $f --sizes 1024,4096 --profile-ops > $R/profile_$f.txt 2>&1
done
head -60 $R/profile_vil2.txt
tar -czf $OUT/results.tgz -C $OUT r
