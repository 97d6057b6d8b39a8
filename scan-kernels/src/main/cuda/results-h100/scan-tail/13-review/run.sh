#!/usr/bin/env bash
# GPU run after the review mends (one token loop in the backward state pass, TileJob in the tensor-core mLSTM,
# CudaBench's under()): self-check, the 64² goldens whole and in chunks of 7, CudaBench --quick, the scan and SSD
# benches.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
B="-cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench"
R=$OUT/r; mkdir -p $R
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
grep "mlstm B" $R/selfcheck.txt | grep tf32x3 | head -3
( for c in adventurer_d4_e128_64x64 vil2_d2_64x64 vim_d2_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c
timeout 120 $J $B --quick --max-gib 75 > $R/bench_quick.txt 2>&1; echo "quick rc $?"; grep -c '^[a-z]' $R/bench_quick.txt; grep -i 'exception\|error' $R/bench_quick.txt | head -3
timeout 150 $J $B --scan-only --max-gib 75 > $R/bench_scan.txt 2>&1; echo "scan rc $?"
timeout 150 $J $B --ssd-only --max-gib 75 > $R/bench_ssd.txt 2>&1; echo "ssd rc $?"
grep -v 'fwd_state\|_state \|scalar_out\|slow' $R/bench_scan.txt $R/bench_ssd.txt | grep 'L1048576\|B8 L65536' | grep 'N16\|N64' | cut -c20-110
grep 'slow_decay ' $R/bench_scan.txt $R/bench_ssd.txt | grep 'L1048576' | cut -c20-110
