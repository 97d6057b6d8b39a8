#!/usr/bin/env bash
# GPU run: Mamba-1 scans between one and three blocks of channels per SM, one pass against the cut form under the
# backward state pass at 4, 8 and 16 cut waves.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
J=/tmp/rt/jre/bin/java
R=$OUT/r; mkdir -p $R
timeout 300 $J -Dscanline.bench.betweenOnly=true -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --scan-cut-sweep --max-gib 75 > $R/between.txt 2>&1; echo "rc $?"
grep 'one pass\|cut waves\|selective' $R/between.txt | cut -c1-100
