#!/usr/bin/env bash
set -u
R=$OUT/wg1; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
timeout 300 gpu-run/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "rc $?"
grep -i 'wgmma unit\|passed\|worst\|FAIL' $R/new.txt | head -40
grep 'fusedwg\|fusedbq' $R/new.txt | grep ' ms ' | head -40
