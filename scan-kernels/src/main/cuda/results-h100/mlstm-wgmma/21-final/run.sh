#!/usr/bin/env bash
# GPU call, final code of the round: harness checks and fused timings against 22fd5dd (mlstm_check_old: the first
# one-warpgroup build, DH <= 128), CudaSelfCheck, CudaBench --mlstm-only; ViL-S-sized vil2 (DH 192) in bf16,
# fusedKernel wgmma and mma alternating twice.
set -u
R=$OUT/final; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
for b in mlstm_check mlstm_check_old; do xz -dc gpu-run/$b.xz > /tmp/$b; chmod +x /tmp/$b; done
timeout 200 /tmp/mlstm_check $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'wgmma unit\|passed\|fused worst\|FAIL' $R/new.txt | head
timeout 100 /tmp/mlstm_check_old $R/old.json $R/old_checks.txt --fused-timing-only > $R/old.txt 2>&1; echo "old rc $?"
for v in old new; do grep 'fused' $R/$v.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1)}}' > /tmp/t_$v.txt; done; paste -d' ' /tmp/t_old.txt <(awk '{print $5, $6}' /tmp/t_new.txt) | tee $R/summary.txt | grep wg
rm -f $R/new.json $R/old.json $R/old_checks.txt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 220 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
timeout 150 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --max-gib 75 --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"
grep -A1 'fused' $R/bench_mlstm.txt | grep -v '^--' | paste - - | awk '{print $1,$2,$3,$4,$5,$6,$7,$10,$11,$14}'
for qk in wgmma mma wgmma mma; do
  echo "== fusedKernel=$qk" >> $R/bench_vils_bf16.txt
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --set dim=384,depth=12 --sizes 1024,4096 --chunk 4096 --repeats 3 --backend-option fusedKernel=$qk >> $R/bench_vils_bf16.txt 2>&1; echo "vil2-S $qk rc $?"
done
grep '^== \|^vil2' $R/bench_vils_bf16.txt | awk '{print $1,$2,$3,$7}'
