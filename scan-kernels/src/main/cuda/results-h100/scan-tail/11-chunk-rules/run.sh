#!/usr/bin/env bash
# GPU run: after the chunk rules moved into ScanChunks: self-check, the 64² goldens whole and in chunks of 7, the
# scan and SSD benches (the chunk counts, and so the timings, should match 8-final/).
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
B="-cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench"
R=$OUT/r; mkdir -p $R
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
( for c in adventurer_d4_e128_64x64 vil2_d2_64x64 vim_d2_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c
timeout 150 $J $B --scan-only --max-gib 75 --json $R/bench_scan.json > $R/bench_scan.txt 2>&1; echo "scan rc $?"
timeout 150 $J $B --ssd-only --max-gib 75 --json $R/bench_ssd.json > $R/bench_ssd.txt 2>&1; echo "ssd rc $?"
grep -v 'fwd_state\|_state \|scalar_out\|slow' $R/bench_scan.txt $R/bench_ssd.txt | grep 'L65536\|L1048576' | grep N16 | cut -c20-110
