#!/usr/bin/env bash
# GPU call: the round's final fused mLSTM against the round's start (329b1cc, gpu-run/old) in one call: harness checks
# of both and fused timings; ViL-B-sized vil2 in the bf16 mode (fusedQk by-shape and fp32, alternating).
set -u
R=$OUT/final; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $R/gpu.txt 2>&1
NV="nvcc -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v"
$NV -o /tmp/b_new scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_new.txt 2>&1 &
$NV -o /tmp/b_old gpu-run/old/scan-kernels/src/test/cuda/mlstm_bf16_check.cu > /tmp/ptxas_old.txt 2>&1 &
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
wait
for v in old new; do grep -A2 'mlstm_fused_d\|gate_prep' /tmp/ptxas_$v.txt | grep -E 'Compiling|registers|spill' | paste - - - | sed 's/ptxas info    ://g' | cut -c1-200 > $R/ptxas_$v.txt; echo "$v: $(grep -o 'Used [0-9]* registers' $R/ptxas_$v.txt | paste -sd' ')"; done
timeout 150 /tmp/b_new $R/new.json $R/new_checks.txt --fused-timing > $R/new.txt 2>&1; echo "new rc $?"; grep 'passed\|fused worst' $R/new.txt
timeout 150 /tmp/b_old $R/old.json $R/old_checks.txt --fused-timing > $R/old.txt 2>&1; echo "old rc $?"; grep 'passed\|fused worst' $R/old.txt
for v in old new; do grep 'fused' $R/$v.txt | grep ' ms ' | awk '{for(i=1;i<=NF;i++) if($(i)=="ms"){print $1,$2,$3,$4,$5,$(i-1),$(i+1)}}' > /tmp/t_$v.txt; done
paste -d' ' /tmp/t_old.txt <(awk '{print $6, $7}' /tmp/t_new.txt) | awk 'BEGIN{print "shape path old_ms old_TFLOPs new_ms new_TFLOPs speedup"}{printf "%s %s %s %s %s %s %s %s %s %.2fx\n",$1,$2,$3,$4,$5,$6,$7,$8,$9,$6/$8}' | tee $R/summary.txt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
for qk in by-shape fp32 by-shape fp32; do
  echo "== fusedQk=$qk" >> $R/bench_vil2_bf16.txt
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --set dim=768,depth=12 --sizes 1024,4096 --chunk 4096 --repeats 3 --backend-option fusedQk=$qk >> $R/bench_vil2_bf16.txt 2>&1; echo "vil2 $qk rc $?"
done
grep '^== \|^vil2' $R/bench_vil2_bf16.txt | awk '{print $1,$2,$3,$7}'
