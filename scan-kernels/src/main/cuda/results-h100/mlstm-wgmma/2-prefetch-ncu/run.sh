#!/usr/bin/env bash
set -u
R=$OUT/wg2; mkdir -p $R
timeout 200 gpu-run/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"
grep -i 'wgmma unit\|passed\|fused worst\|FAIL' $R/new.txt | head -20
timeout 100 gpu-run/mlstm_check_v1 $R/old.json $R/old_checks.txt --fused-timing-only > $R/old.txt 2>&1; echo "old rc $?"
for v in old new; do grep 'fusedwg\|fusedbq' $R/$v.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' > /tmp/t_$v.txt; done; paste -d' ' /tmp/t_old.txt <(awk '{print $6}' /tmp/t_new.txt) | tee $R/summary.txt
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu); $ncu --version | tail -1
timeout 200 $ncu --set full --import-source yes -k regex:mlstm_wg_d512 -c 1 -o /tmp/rep gpu-run/mlstm_check /tmp/p.json /tmp/p.txt --profile > $R/ncu_run.txt 2>&1; echo "ncu rc $?"
$ncu -i /tmp/rep.ncu-rep --print-details all > $R/details.txt 2>&1
$ncu -i /tmp/rep.ncu-rep --page source --csv --print-source sass > $R/source_sass.csv 2>&1
xz -9 $R/source_sass.csv; ls -la $R
grep -E 'Duration|Registers Per|Achieved Occ|Issue Slots Busy|Executed Ipc A|Tensor|Shared Memory Through|L2 Cache Through|DRAM Through|Warp Cycles Per Issued' $R/details.txt | head -30
