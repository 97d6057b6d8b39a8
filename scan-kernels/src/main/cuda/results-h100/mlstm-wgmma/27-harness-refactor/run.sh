#!/usr/bin/env bash
# GPU call: the harness after moving the fused builds' launch figures to fused_builds.hpp (kernels as 22ba5a6): checks
# and the fused timings.
set -u
R=$OUT/check; mkdir -p $R
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 200 /tmp/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "rc $?"; grep 'wgmma unit\|passed\|fused worst\|FAIL\|block(s)/SM' $R/new.txt | head -12
grep 'fusedwg' $R/new.txt | awk '{print $1,$2,$3,$4,$5,$7}'
rm -f $R/new.json
