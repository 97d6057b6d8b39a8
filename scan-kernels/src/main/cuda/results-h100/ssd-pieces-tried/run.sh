#!/usr/bin/env bash
# GPU run: the SSD at batch 1 in pieces whose inputs fit the L2 cache (state carried), next to one call.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > $R/gpu.txt 2>&1
timeout 400 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --ssd-only --json $R/bench_ssd.json > $R/bench_ssd.txt 2>&1; echo "bench rc $?"; grep "^ssd" $R/bench_ssd.txt | grep "B1 "
tar -czf $OUT/results.tgz -C $OUT r
