#!/usr/bin/env bash
# Builds and runs the CPU warp-emulator checks of the CUDA kernels (g++ only, no GPU, no CUDA toolkit):
#   scan_emu         the chunk-parallel selective scan / SSD (selective_scan.cuh) against the float64 reference;
#   mlstm_fused_emu  the fused mLSTM kernel against the float64 recurrence, anchored by the bf16 GEMM.
# Usage: run-emu-checks.sh [--quick]   (--quick leaves out the DH 384 mLSTM case; about 25 s on 2 cores)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for check in scan_emu mlstm_fused_emu; do
  g++ -O2 -std=c++17 -I"$here/include" -o "$bin/$check" "$here/$check.cpp"
done
"$bin/scan_emu"
"$bin/mlstm_fused_emu" "$@"
