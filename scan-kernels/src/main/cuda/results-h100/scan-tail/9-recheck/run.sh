#!/usr/bin/env bash
# GPU run: the SSD cut sweep again (the final bench call timed B1 L64K H24 twice at 1.38 ms, against 0.61-0.79 in
# every other row and call).
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
J=/tmp/rt/jre/bin/java
R=$OUT/r; mkdir -p $R
for i in 1 2; do timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --ssd-cut-sweep --max-gib 75 > $R/ssd_waves_$i.txt 2>&1; echo "rc $?"; done
grep -h 'B1 L65536 H24' $R/ssd_waves_*.txt | cut -c1-100
