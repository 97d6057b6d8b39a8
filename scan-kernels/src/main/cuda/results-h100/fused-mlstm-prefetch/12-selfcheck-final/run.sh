#!/usr/bin/env bash
# GPU call: CudaSelfCheck and CudaBench --mlstm-only of the final code (the fused segment rule counting both builds).
set -u
R=$OUT/sc; mkdir -p $R
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
grep -i 'fused' $R/selfcheck.txt | head -3
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep -A1 'fused' $R/bench_mlstm.txt | grep -v '^--' | paste - - | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$11,$14}'
