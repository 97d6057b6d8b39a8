#!/usr/bin/env bash
# GPU run: the Mamba-1 cut rule rounded to whole waves of the output build (4 cut waves): the scan bench, and the
# cut sweep for comparison with 1-sweep.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
J=/tmp/rt/jre/bin/java
B="-cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench"
R=$OUT/r; mkdir -p $R
timeout 200 $J $B --scan-only --max-gib 75 --json $R/bench_scan.json > $R/bench_scan.txt 2>&1; echo "scan rc $?"
grep -v 'fwd_state' $R/bench_scan.txt | grep 'L65536\|L1048576' | grep 'N16' | cut -c1-100
