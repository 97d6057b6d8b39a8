#!/usr/bin/env bash
# GPU call: segment counts for the wgmma mLSTM (one warpgroup per block at DH <= 256, two blocks per SM): the harness's
# checks, then --segment-sweep (each shape at forced G, and the G the current rule picks).
set -u
R=$OUT/sweep; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 300 /tmp/mlstm_check $R/new.json $R/new_checks.txt --segment-sweep > $R/sweep.txt 2>&1; echo "rc $?"
grep 'passed\|^sweep' $R/sweep.txt
rm -f $R/new.json
