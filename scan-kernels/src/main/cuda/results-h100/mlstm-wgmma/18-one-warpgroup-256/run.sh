#!/usr/bin/env bash
# GPU call: the wgmma mLSTM with one warpgroup per block at DH <= 256 (V and u ⊙ V swizzled, one gate buffer) against the previous
# build (mlstm_check_old, 22fd5dd): harness checks and fused timings of both; CudaSelfCheck; CudaBench --mlstm-only.
set -u
R=$OUT/1wg256; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
for b in mlstm_check mlstm_check_old; do xz -dc gpu-run/$b.xz > /tmp/$b; chmod +x /tmp/$b; done
timeout 200 /tmp/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'passed\|fused worst\|FAIL' $R/new.txt | head
timeout 100 /tmp/mlstm_check_old $R/old.json $R/old_checks.txt --fused-timing-only > $R/old.txt 2>&1; echo "old rc $?"
for v in old new; do grep 'fused' $R/$v.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' > /tmp/t_$v.txt; done; paste -d' ' /tmp/t_old.txt <(awk '{print $6}' /tmp/t_new.txt) | tee $R/summary.txt
rm -f $R/new.json $R/old.json $R/old_checks.txt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 220 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep -A1 'fused' $R/bench_mlstm.txt | grep -v '^--' | paste - - | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$11,$14}'
