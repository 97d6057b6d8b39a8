#!/usr/bin/env bash
# GPU call: segment counts of the wgmma mLSTM, the swept shapes of 20-segment-sweep plus the ViL models' 4096-token calls
# checks, then --segment-sweep (each shape at forced G, and the G the current rule picks).
set -u
R=$OUT/sweep2; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 300 /tmp/mlstm_check $R/new.json $R/new_checks.txt --segment-sweep > $R/sweep.txt 2>&1; echo "rc $?"
grep 'passed\|^sweep' $R/sweep.txt
rm -f $R/new.json
