#!/usr/bin/env bash
# Builds and runs scan_block_check.cu on a GPU machine (nvcc, no Java needed): correctness vs a
# float64 host reference, then timings next to the chunk-parallel path.
# Usage: run-scan-block-check.sh OUT_DIR [--ncu]   (--ncu: also an Nsight Compute summary of one
# B1 L64K E1536 N16 launch per path, when ncu is installed)
set -euo pipefail
out=${1:?usage: run-scan-block-check.sh OUT_DIR [--ncu]}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
"$nvcc" -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v -o /tmp/scan_block_check \
  "$here/scan_block_check.cu" 2>&1 | grep -A2 -E "ss_block|ss_out_n16|ss_state_n16" | grep -E "registers|spill|Compiling" > "$out/ptxas.txt" || true
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv > "$out/gpu.txt" 2>&1 || true
/tmp/scan_block_check "$out/scan_block.json" "$out/scan_block_checks.txt" 2>&1 | tee "$out/scan_block.txt"
if [ "${2:-}" = "--ncu" ]; then
  ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true)
  if [ -n "$ncu" ]; then
    timeout 150 "$ncu" --section SpeedOfLight --section ComputeWorkloadAnalysis --section WarpStateStats \
      --section InstructionStats --section Occupancy --section MemoryWorkloadAnalysis \
      -k regex:'ss_block|ss_out_n16|ss_state_n16' \
      /tmp/scan_block_check /tmp/p.json /tmp/p.txt --profile > "$out/ncu-b1-l64k-e1536-n16.txt" 2>&1 || true
  else
    echo "ncu not installed" > "$out/ncu-b1-l64k-e1536-n16.txt"
  fi
fi
