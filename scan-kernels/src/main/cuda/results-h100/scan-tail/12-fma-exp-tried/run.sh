#!/usr/bin/env bash
# GPU run: the Mamba-1 backward state pass with 0, 2 and 4 of its 16 weights on the FMA pipe (sl_exp2_fma), cut
# shapes, bench inputs and slow decays; then the self-check (it runs the default build).
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
J=/tmp/rt/jre/bin/java
R=$OUT/r; mkdir -p $R
timeout 300 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --scan-tail-fma --max-gib 75 > $R/tail_fma.txt 2>&1; echo "rc $?"
grep 'fma states\|selective_scan  \|selective_scan_slow_decay ' $R/tail_fma.txt | cut -c1-100
