#!/usr/bin/env bash
# GPU run: fresh carried states filled on the device (Backend.fillState; ViL reuses one state for all passes).
# Self-check; vil2, vil1, vim, Adventurer goldens on cuda (whole, chunks of 7); A/B against the previous commit
# (OLD) alternating: ViL2-B and Vim-B (D 768) at 1024² and 4096², every family at 1024².
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
OLD="-cp gpu-run/old.jar:gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -5; grep "fillState" $R/selfcheck.txt
( for c in vil2_d2_64x64 vil1_d4_64x64 vim_d2_64x64 adventurer_d4_e128_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for side in NOW OLD NOW OLD; do
  eval "CP=\$$side"
  echo "== $side" >> $R/ab.txt
  timeout 100 $J $CP $B --sizes 1024,4096 --family vil2 --set dim=768,depth=12 >> $R/ab.txt 2>&1
  timeout 100 $J $CP $B --sizes 1024,4096 --family vim --set embed_dim=768,depth=24 >> $R/ab.txt 2>&1
  timeout 100 $J $CP $B --sizes 1024 >> $R/ab.txt 2>&1
done
grep "==\|x1024\|x4096" $R/ab.txt
tar -czf $OUT/results.tgz -C $OUT r
