#!/usr/bin/env bash
# Builds and runs ssd_seg_check.cu on a GPU machine (nvcc, no Java needed): correctness vs a float64
# host reference, then timings next to the chunk-parallel SSD path.
# Usage: run-ssd-seg-check.sh OUT_DIR [--ncu]   (--ncu: also an Nsight Compute summary of the timed
# B8 L64K H24 P64 N16 launches, when ncu is installed)
set -euo pipefail
out=${1:?usage: run-ssd-seg-check.sh OUT_DIR [--ncu]}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
"$nvcc" -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v -o /tmp/ssd_seg_check \
  "$here/ssd_seg_check.cu" 2>&1 | grep -A2 -E "ssd_seg|ssd_scaled|ssd_out_n16|ssd_state_n16" | grep -E "registers|spill|Compiling" > "$out/ptxas.txt" || true
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv > "$out/gpu.txt" 2>&1 || true
/tmp/ssd_seg_check "$out/ssd_seg.json" "$out/ssd_seg_checks.txt" 2>&1 | tee "$out/ssd_seg.txt"
if [ "${2:-}" = "--ncu" ]; then
  ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true)
  if [ -n "$ncu" ]; then
    timeout 200 "$ncu" --section SpeedOfLight --section ComputeWorkloadAnalysis --section WarpStateStats \
      --section InstructionStats --section Occupancy --section MemoryWorkloadAnalysis --section SchedulerStats \
      -k regex:'ssd_seg_out|ssd_scaled_out' /tmp/ssd_seg_check /tmp/p.json /tmp/p.txt --profile > "$out/ncu-b8-l64k-h24-p64-n16.txt" 2>&1 || true
  else
    echo "ncu not installed" > "$out/ncu-b8-l64k-h24-p64-n16.txt"
  fi
fi
