#!/usr/bin/env bash
# GPU call: the segment rule with a piece's fixed cost (one chunk) and a 3% tolerance: harness checks, fused timings and
# the sweep's rule picks; CudaSelfCheck; CudaBench --mlstm-only.
set -u
R=$OUT/rule2; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 200 /tmp/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "harness rc $?"; grep '^passed\|FAIL' $R/new.txt | head -3
grep 'fusedwg' $R/new.txt | grep ' ms ' | awk '{print $1,$2,$3,$4,$5,$7}'
rm -f $R/new.json
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 220 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep 'fused_bf16_wg\|chunkwise_bf16 ' $R/bench_mlstm.txt | awk '{print $1,$2,$3,$4,$5,$7,$11}'
