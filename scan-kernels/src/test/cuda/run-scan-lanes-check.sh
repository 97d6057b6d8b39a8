#!/usr/bin/env bash
# Builds and runs scan_lanes_check.cu on a GPU machine (nvcc, no Java needed).
# Usage: run-scan-lanes-check.sh OUT_DIR [--quick]
set -euo pipefail
out=${1:?usage: run-scan-lanes-check.sh OUT_DIR [--quick]}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
"$nvcc" -O3 -std=c++17 --use_fast_math -lineinfo -arch=sm_90 -Xptxas -v -o /tmp/scan_lanes_check \
  "$here/scan_lanes_check.cu" 2>&1 | grep -A1 -E "lanes|ss_out_n16|ss_state_n16" | grep -E "registers|spill|Compiling" > "$out/ptxas.txt" || true
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv > "$out/gpu.txt" 2>&1 || true
/tmp/scan_lanes_check "$out/scan_lanes.json" ${2:-} 2>&1 | tee "$out/scan_lanes.txt"
