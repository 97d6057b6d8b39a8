#!/usr/bin/env bash
# Builds and runs the CPU warp-emulator checks of the CUDA kernels (g++ only, no GPU, no CUDA toolkit):
#   scan_emu   the chunk-parallel selective scan / SSD (selective_scan.cuh) and the segment SSD (ssd_seg.cuh)
#              against the float64 reference;
#   mlstm_emu  the bf16 mLSTM kernels (fused on mma.sync and on wgmma, three-pass) against the float64
#              recurrence, anchored by the bf16 GEMM and the wgmma unit check.
# Usage: run-emu-checks.sh [--quick]   (--quick leaves out the DH 384 fused cases in the forward order;
#        about 90 s on 2 cores)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# -fno-strict-aliasing: the kernels reinterpret bf16 pairs as 32-bit words, as CUDA code does
for check in scan_emu mlstm_emu; do
  g++ -O2 -std=c++17 -fno-strict-aliasing -Wall -Wno-unknown-pragmas -I"$here/include" -o "$bin/$check" "$here/$check.cpp"
done
# each warp runs whole between block barriers, the warps in three orders: a read of another warp's data
# that no barrier orders sees different data in some order (see warp_emu.hpp)
for order in forward reverse shuffled; do
  "$bin/scan_emu" --schedule $order
done
"$bin/mlstm_emu" --schedule forward "$@"
"$bin/mlstm_emu" --schedule reverse --quick
"$bin/mlstm_emu" --schedule shuffled --quick
# cp.async copies landing when issued instead of at their wait: a copy issued into a buffer some thread still
# reads shows (the default catches reads before the wait)
"$bin/mlstm_emu" --schedule shuffled --quick --cp-at-issue
"$bin/scan_emu" --schedule shuffled --cp-at-issue
