#!/usr/bin/env bash
# GPU run: the SSD at N16 cut into chunks at 1, 2 and 4 waves of blocks (ssdChunk), every state pass, bench inputs
# and slow decays.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
J=/tmp/rt/jre/bin/java
R=$OUT/r; mkdir -p $R
timeout 300 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --ssd-cut-sweep --max-gib 75 > $R/ssd_waves.txt 2>&1; echo "rc $?"
grep 'waves\|^ssd \|^ssd_slow_decay \|backward_state' $R/ssd_waves.txt | cut -c1-100
