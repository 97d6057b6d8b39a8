#!/usr/bin/env bash
# GPU call: the harness at DH 96 after its wgmma shared-memory attributes moved to a loop over the builds (the first
# d96 call stopped at the first DH 96 launch: the attribute for mlstm_wg_d96 was not set): checks and fused timings.
set -u
R=$OUT/d96h; mkdir -p $R
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
timeout 200 /tmp/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "harness rc $?"; grep 'wgmma unit\|^passed\|fused worst\|FAIL' $R/new.txt | head
grep 'DH96' $R/new.txt | grep ' ms ' | awk '{print $1,$2,$3,$4,$5,$7}'
rm -f $R/new.json
