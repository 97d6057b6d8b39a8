#!/usr/bin/env bash
# GPU run: every family frees its per-chunk outputs (stores release replaced rows, chunk scopes in Vim and the
# Adventurer embedding, De-focus layer inputs released, ARM pooling sums on the device). Self-check, Vim,
# De-focus, ARM and Adventurer goldens on cuda (whole, chunks of 7), A/B against the previous commit (OLD).
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
OLD="-cp gpu-run/old.jar:gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -5
( for c in vim_d2_64x64 defocus_mamba_d3_64x64 arm_d2_64x64 adventurer_d4_e128_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for side in NOW OLD NOW OLD; do
  eval "CP=\$$side"
  echo "== $side" >> $R/ab.txt
  timeout 150 $J $CP $B --sizes 4096 >> $R/ab.txt 2>&1
done
grep "==\|x4096\|collections" $R/ab.txt
for side in NOW OLD; do
  eval "CP=\$$side"
  echo "== $side" >> $R/ab16k.txt
  timeout 200 $J $CP $B --family vim,defocus_mamba,adventurer --sizes 16384 >> $R/ab16k.txt 2>&1
done
grep "==\|x16384\|collections" $R/ab16k.txt
timeout 100 $J $NOW $B --family adventurer --set embed_dim=768,depth=12 --sizes 4096 >> $R/advbase.txt 2>&1
timeout 100 $J $OLD $B --family adventurer --set embed_dim=768,depth=12 --sizes 4096 >> $R/advbase.txt 2>&1
grep "x4096\|collections" $R/advbase.txt
tar -czf $OUT/results.tgz -C $OUT r
