#!/usr/bin/env bash
# GPU run: the final code of the backward state pass. Self-check; the goldens on cuda whole and in chunks of 7;
# CudaBench --scan-only and --ssd-only with the defaults (Mamba-1 backward + 4 cut waves, SSD auto); every family
# at base dims, 1024² and 4096², fp32 defaults.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
B="-cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
( for c in $(ls $G); do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
timeout 120 $J $B --scan-only --max-gib 75 --json $R/bench_scan.json > $R/bench_scan.txt 2>&1; echo "scan rc $?"
timeout 120 $J $B --ssd-only --max-gib 75 --json $R/bench_ssd.json > $R/bench_ssd.txt 2>&1; echo "ssd rc $?"
M="bench-models --backend cuda --chunk 4096 --repeats 3 --sizes 1024,4096"
timeout 60 $J $NOW $M --family vil2 --set dim=768,depth=12 > $R/models.txt 2>&1
timeout 60 $J $NOW $M --family vim --set embed_dim=768,depth=24 >> $R/models.txt 2>&1
timeout 60 $J $NOW $M --family adventurer --set embed_dim=768,depth=12 >> $R/models.txt 2>&1
timeout 60 $J $NOW $M --family arm --set embed_dim=768,depth=12 >> $R/models.txt 2>&1
timeout 60 $J $NOW $M --family defocus_mamba --set embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48 >> $R/models.txt 2>&1
grep "x1024 \|x4096 \|rror" $R/models.txt | cut -c1-90
