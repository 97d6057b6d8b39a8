#!/usr/bin/env bash
# GPU run: the final code of this round. Self-check; defocus, ARM, vim, Adventurer and vil2 64² goldens on cuda whole
# and in chunks of 7; every family at base dims, 1024² and 4096², fp32 defaults (mLSTM 3xTF32, GEMM on wgmma).
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
( for c in defocus_mamba_d3_64x64 arm_d2_64x64 vim_d2_64x64 adventurer_d4_e128_64x64 vil2_d2_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3 --sizes 1024,4096"
timeout 100 $J $NOW $B --family vil2 --set dim=768,depth=12 > $R/models.txt 2>&1
timeout 100 $J $NOW $B --family vim --set embed_dim=768,depth=24 >> $R/models.txt 2>&1
timeout 100 $J $NOW $B --family adventurer --set embed_dim=768,depth=12 >> $R/models.txt 2>&1
timeout 100 $J $NOW $B --family arm --set embed_dim=768,depth=12 >> $R/models.txt 2>&1
timeout 100 $J $NOW $B --family defocus_mamba --set embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48 >> $R/models.txt 2>&1
grep "x1024\|x4096\|rror" $R/models.txt
tar -czf $OUT/results.tgz -C $OUT r
