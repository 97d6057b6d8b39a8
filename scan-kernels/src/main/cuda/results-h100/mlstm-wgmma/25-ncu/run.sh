#!/usr/bin/env bash
# GPU call: Nsight Compute profiles of the final wgmma mLSTM (22ba5a6's kernels) at B1 L16384 NH8, one walk: DH 512 (two
# warpgroups, 64 blocks) and DH 256 (one warpgroup, 32 blocks); summaries by block barriers (ncu_segments.py).
set -u
R=$OUT/ncu; mkdir -p $R
xz -dc gpu-run/mlstm_check.xz > /tmp/mlstm_check; chmod +x /tmp/mlstm_check
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu)
for dh in 512 256; do
  timeout 200 $ncu --set full --import-source yes -k regex:mlstm_wg_d$dh -c 1 -o /tmp/rep$dh /tmp/mlstm_check /tmp/p.json /tmp/p.txt --profile $dh > /tmp/ncu_run$dh.txt 2>&1; echo "ncu $dh rc $?"
  $ncu -i /tmp/rep$dh.ncu-rep --print-details all > /tmp/details$dh.txt 2>&1
  $ncu -i /tmp/rep$dh.ncu-rep --page source --csv --print-source sass > /tmp/source$dh.csv 2>&1
  blocks=$((8 * dh / 64))
  { python3 gpu-run/ncu_segments.py /tmp/source$dh.csv $blocks 256
    awk '/Section: Warp State Statistics/,/Section: Instruction/' /tmp/details$dh.txt | grep -E 'Stall|Issued Warp|Cycles Per Issued|Warp Cycles' | head -14
    grep -E 'Duration|Pipe Tensor|Registers Per|Achieved Occupancy|Theoretical Occupancy|Block Limit' /tmp/details$dh.txt | head -12
  } > $R/ncu_summary_d$dh.txt 2>&1
  cat $R/ncu_summary_d$dh.txt | head -30
  xz -9 -c /tmp/source$dh.csv > $R/source_sass_d$dh.csv.xz
done
