#!/usr/bin/env bash
# Builds and runs one standalone CUDA scan harness on a GPU machine (nvcc only, no Java): correctness
# against a float64 host reference, then timings next to the chunk-parallel path.
# Usage: run-scan-check.sh HARNESS OUT_DIR [--ncu] [--quick]
#   HARNESS  scan_block (single-pass Mamba-1 scan), scan_lanes (state-parallel scan), ssd_seg (segment SSD),
#            scan_lookback (one-launch chunked scan and SSD with decoupled look-back),
#            mlstm_bf16 (bf16 tensor-core mLSTM passes next to the fp32 ones)
#   --ncu    also an Nsight Compute summary of one launch per path, when ncu is installed
#            (scan_block: B1 L64K E1536 N16; ssd_seg: B8 L64K H24 P64 N16; mlstm_bf16: B1 L16K NH8 DH512;
#            scan_lookback: B1 L1M H24 P64 N16)
#   --quick  fewer timed shapes (scan_lanes)
set -euo pipefail
usage="usage: run-scan-check.sh scan_block|scan_lanes|scan_lookback|ssd_seg|mlstm_bf16 OUT_DIR [--ncu] [--quick]"
name=${1:?$usage}
out=${2:?$usage}
shift 2
ncu_on=0 quick=""
for a in "$@"; do
  case "$a" in --ncu) ncu_on=1 ;; --quick) quick=--quick ;; *) echo "unknown option $a; $usage" >&2; exit 2 ;; esac
done
case "$name" in
  scan_block) kernels="ss_block|ss_out_n16|ss_state_n16"; ncu_file=ncu-b1-l64k-e1536-n16.txt ;;
  scan_lanes) kernels="lanes|ss_out_n16|ss_state_n16"; ncu_file="" ;;
  scan_lookback) kernels="_lb_n|ss_combine|ssd_out1_n16|ssd_state1_n16"; ncu_file=ncu-b1-l1m-h24-p64-n16.txt ;;
  ssd_seg) kernels="ssd_seg|ssd_out1_n16|ssd_state1_n16"; ncu_file=ncu-b8-l64k-h24-p64-n16.txt ;;
  mlstm_bf16) kernels="mlstm_chunk|mlstm_combine|mlstm_fused"; ncu_file=ncu-b1-l16k-nh8-dh512.txt ;;
  *) echo "unknown harness $name; $usage" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
bin=/tmp/${name}_check
mkdir -p "$out"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
"$nvcc" -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v -o "$bin" "$here/${name}_check.cu" 2>&1 \
  | grep -A2 -E "$kernels" | grep -E "registers|spill|Compiling" > "$out/ptxas.txt" || true
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv > "$out/gpu.txt" 2>&1 || true
if [ "$name" = scan_lanes ]; then
  "$bin" "$out/$name.json" $quick 2>&1 | tee "$out/$name.txt"
else
  "$bin" "$out/$name.json" "$out/${name}_checks.txt" 2>&1 | tee "$out/$name.txt"
fi
if [ "$ncu_on" = 1 ] && [ -n "$ncu_file" ]; then
  ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true)
  if [ -n "$ncu" ]; then
    timeout 200 "$ncu" --section SpeedOfLight --section ComputeWorkloadAnalysis --section WarpStateStats \
      --section InstructionStats --section Occupancy --section MemoryWorkloadAnalysis --section SchedulerStats \
      -k regex:"$kernels" "$bin" /tmp/p.json /tmp/p.txt --profile > "$out/$ncu_file" 2>&1 || true
  else
    echo "ncu not installed" > "$out/$ncu_file"
  fi
fi
