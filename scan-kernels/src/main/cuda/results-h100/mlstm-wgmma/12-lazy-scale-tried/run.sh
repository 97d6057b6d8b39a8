#!/usr/bin/env bash
set -u
R=$OUT/wg12; mkdir -p $R
timeout 200 gpu-run/mlstm_check $R/new.json /tmp/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"
grep -i 'wgmma unit\|passed\|fused worst\|FAIL' $R/new.txt | head -20
timeout 100 gpu-run/mlstm_check_v11 /tmp/old.json /tmp/old_checks.txt --fused-timing-only > $R/old.txt 2>&1; echo "old rc $?"
for v in old new; do grep 'fusedwg\|fusedbq' $R/$v.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' > /tmp/t_$v.txt; done; paste -d' ' /tmp/t_old.txt <(awk '{print $6}' /tmp/t_new.txt) | tee $R/summary.txt
