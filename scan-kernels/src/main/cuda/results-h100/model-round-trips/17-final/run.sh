#!/usr/bin/env bash
# GPU run, the committed code: self-check; vil2, vil1, Adventurer goldens on cuda (whole, chunks of 7);
# De-focus-B peak GPU memory at 1024², 4096², 16384² in one process, now and at the round's start (OLD);
# Adventurer-base op profile at 4096².
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
OLD="-cp gpu-run/old.jar:gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -5
( for c in vil2_d2_64x64 vil1_d4_64x64 adventurer_d4_e128_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
DB="bench-models --backend cuda --chunk 4096 --repeats 1 --family defocus_mamba --set embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48 --sizes 1024,4096,16384"
timeout 170 $J $NOW $DB > $R/defocusB_now.txt 2>&1
timeout 170 $J $OLD $DB > $R/defocusB_old.txt 2>&1
grep "defocus\|collections" $R/defocusB_now.txt $R/defocusB_old.txt
timeout 100 $J $NOW bench-models --backend cuda --chunk 4096 --repeats 2 --family adventurer --set embed_dim=768,depth=12 --sizes 4096 --profile-ops > $R/advbase_profile.txt 2>&1
head -30 $R/advbase_profile.txt
tar -czf $OUT/results.tgz -C $OUT r
