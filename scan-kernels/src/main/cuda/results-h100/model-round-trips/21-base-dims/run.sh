#!/usr/bin/env bash
# GPU run: base dims of ViL2, Vim and ARM (D 768), op profiles at 1024² and 4096², batch 1, and ViL2-B with 4 images.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
B="bench-models --backend cuda --chunk 4096 --repeats 2 --sizes 1024,4096 --profile-ops"
timeout 200 $J $NOW $B --family vil2 --set dim=768,depth=12 > $R/vil2_base.txt 2>&1
timeout 200 $J $NOW $B --family vim --set embed_dim=768,depth=24 > $R/vim_base.txt 2>&1
timeout 150 $J $NOW $B --family arm --set embed_dim=768,depth=12 > $R/arm_base.txt 2>&1
timeout 100 $J $NOW bench-models --backend cuda --chunk 4096 --repeats 2 --sizes 1024 --batch 4 --family vil2 --set dim=768,depth=12 > $R/vil2_base_b4.txt 2>&1
for f in $R/*_base*.txt; do echo "== $(basename $f)"; grep -A9 "x1024\|x4096" $f | grep -v "^--" | head -24; grep "collections\|rror\|xception" $f; done
