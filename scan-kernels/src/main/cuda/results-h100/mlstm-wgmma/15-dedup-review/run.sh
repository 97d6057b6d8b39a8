#!/usr/bin/env bash
set -u
R=$OUT/wg15; mkdir -p $R
timeout 250 gpu-run/mlstm_check $R/harness.json /tmp/c.txt --fused-timing > $R/harness.txt 2>&1; echo "harness rc $?"
grep -i 'wgmma unit\|passed\|fused worst\|FAIL' $R/harness.txt | head
grep 'fusedwg\|fusedbq' $R/harness.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' | tee $R/summary.txt
