#!/usr/bin/env bash
# after the review: harness checks and timings, backend self-check, mLSTM bench
set -u
R=$OUT/wg16; mkdir -p $R
timeout 200 gpu-run/mlstm_check $R/harness.json /tmp/c.txt --fused-timing > $R/harness.txt 2>&1; echo "harness rc $?"
grep -i 'wgmma unit\|passed\|fused worst\|FAIL' $R/harness.txt | head
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep "fused_bf16_bq\|fused_bf16_wg\|DH192\|DH64 " $R/bench_mlstm.txt | grep 'fused\|bf16 '
