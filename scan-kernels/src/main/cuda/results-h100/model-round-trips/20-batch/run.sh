#!/usr/bin/env bash
# GPU run: batched forwards with the adaptive collection threshold (CollectPolicy). Self-check; De-focus-B and
# Adventurer-base at 1024² with 1, 4, 16 images per forward; every family at 1024² with 16 and at 4096² with 4.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
( for b in 1 4 16; do timeout 100 $J $NOW $B --batch $b --sizes 1024 --family defocus_mamba --set embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48; done ) > $R/defocusB_batch.txt 2>&1
( for b in 1 4 16; do timeout 100 $J $NOW $B --batch $b --sizes 1024 --family adventurer --set embed_dim=768,depth=12; done ) > $R/advbase_batch.txt 2>&1
( timeout 120 $J $NOW $B --batch 16 --sizes 1024; timeout 150 $J $NOW $B --batch 4 --sizes 4096 ) > $R/tiny_batch.txt 2>&1
grep "batch\|x1024\|x4096\|collections\|rror\|xception" $R/*_batch.txt
tar -czf $OUT/results.tgz -C $OUT r
