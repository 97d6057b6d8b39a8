#!/usr/bin/env bash
# GPU run: ViL2-B and Vim-B (D 768) in the opt-in bf16 mode (precision=bf16: linears and the mLSTM's products on
# bf16 tensor cores), op profiles at 1024² and 4096², batch 1.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
B="bench-models --backend cuda --backend-option precision=bf16 --chunk 4096 --repeats 2 --sizes 1024,4096 --profile-ops"
timeout 200 $J $NOW $B --family vil2 --set dim=768,depth=12 > $R/vil2_base_bf16.txt 2>&1
timeout 200 $J $NOW $B --family vim --set embed_dim=768,depth=24 > $R/vim_base_bf16.txt 2>&1
for f in $R/*_bf16.txt; do echo "== $(basename $f)"; head -2 $f; grep -A6 "x1024\|x4096" $f | grep -v "^--" | head -16; grep "collections\|rror\|xception" $f; done
