#!/usr/bin/env bash
set -u
R=$OUT/wg11; mkdir -p $R
timeout 200 gpu-run/mlstm_check $R/new.json /tmp/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"
grep -i 'wgmma unit\|passed\|fused worst\|FAIL' $R/new.txt | head -20
timeout 100 gpu-run/mlstm_check_v9 /tmp/old.json /tmp/old_checks.txt --fused-timing-only > $R/old.txt 2>&1; echo "old rc $?"
for v in old new; do grep 'fusedwg\|fusedbq' $R/$v.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' > /tmp/t_$v.txt; done; paste -d' ' /tmp/t_old.txt <(awk '{print $6}' /tmp/t_new.txt) | tee $R/summary.txt
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu)
timeout 200 $ncu --set full --import-source yes -k regex:mlstm_wg_d512 -c 1 -o /tmp/rep gpu-run/mlstm_check /tmp/p.json /tmp/p.txt --profile > /tmp/ncu_run.txt 2>&1; echo "ncu rc $?"
$ncu -i /tmp/rep.ncu-rep --print-details all > $R/details.txt 2>&1
$ncu -i /tmp/rep.ncu-rep --page source --csv --print-source sass > $R/source_sass.csv 2>&1
python3 gpu-run/ncu_segments.py $R/source_sass.csv 64 256 > $R/ncu_summary.txt 2>&1; cat $R/ncu_summary.txt
awk '/Section: Warp State Statistics/,/Section: Instruction/' $R/details.txt | grep -E 'Stall|Issued Warp|Cycles Per Issued' | head -12
grep -E 'Duration|Pipe Tensor Cycles Active' $R/details.txt | head -3
xz -9 $R/source_sass.csv $R/details.txt; ls $R
