#!/usr/bin/env bash
# GPU call: B1 L4096 NH4 DH384 (ViL-B's 4096-token mLSTM call) under the new segment rule: the harness's segment sweep
# (GPU time, back-to-back calls) and CudaBench --mlstm-only twice (each call timed alone between events).
set -u
R=$OUT/rule2b; mkdir -p $R
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 300 /tmp/mlstm_check /tmp/s.json /tmp/s_checks.txt --segment-sweep > $R/sweep.txt 2>&1; echo "sweep rc $?"; grep 'L4096 NH4' $R/sweep.txt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
for i in 1 2; do
  timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 > $R/bench_mlstm_$i.txt 2>&1; echo "bench $i rc $?"
  grep 'B1 L4096 NH4 DH384\|B1 L4096 NH4 DH96' $R/bench_mlstm_$i.txt | awk '{print $1,$2,$3,$4,$5,$7}'
done
