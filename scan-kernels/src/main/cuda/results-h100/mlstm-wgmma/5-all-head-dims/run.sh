#!/usr/bin/env bash
set -u
R=$OUT/wg5; mkdir -p $R
timeout 250 gpu-run/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"
grep -i 'wgmma unit\|wgmma shared\|passed\|fused worst\|FAIL' $R/new.txt | head -20
grep 'fusedwg\|fusedbq' $R/new.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' | tee $R/summary.txt
