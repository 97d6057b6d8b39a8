#!/usr/bin/env bash
# GPU call: n update with hoisted ldmatrix rows, full chunks copied without bound checks, against 22ba5a6
# (mlstm_check_old): harness checks and timings.
set -u
R=$OUT/micro; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
for b in mlstm_check mlstm_check_old; do xz -dc gpu-run/$b.xz > /tmp/$b; chmod +x /tmp/$b; done
timeout 200 /tmp/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'wgmma unit\|passed\|fused worst\|FAIL' $R/new.txt | head
timeout 100 /tmp/mlstm_check_old $R/old.json $R/old_checks.txt --fused-timing-only > $R/old.txt 2>&1; echo "old rc $?"
for v in old new; do grep 'fused' $R/$v.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' > /tmp/t_$v.txt; done; paste -d' ' /tmp/t_old.txt <(awk '{print $5, $6}' /tmp/t_new.txt) | grep wg | tee $R/summary.txt
rm -f $R/new.json $R/old.json $R/old_checks.txt
