#!/usr/bin/env bash
# GPU run: after the A = -inf floor in scan_tail.cuh: self-check, the 64² goldens whole and in chunks of 7, the
# scan bench.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
( for c in adventurer_d4_e128_64x64 vil2_d2_64x64 vim_d2_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --scan-only --max-gib 75 > $R/bench_scan.txt 2>&1; echo "scan rc $?"
grep -v 'fwd_state' $R/bench_scan.txt | grep 'L1048576' | grep N16 | cut -c1-100
