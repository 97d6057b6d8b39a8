#!/usr/bin/env bash
# Builds and runs the CPU warp-emulator checks of the CUDA kernels (g++ only, no GPU, no CUDA toolkit):
# the fused mLSTM kernel against the float64 recurrence, anchored by the bf16 GEMM (see mlstm_fused_emu.cpp).
# Usage: run-emu-checks.sh [--quick]   (--quick leaves out the DH 384 case; about 20 s on 2 cores)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)/mlstm_fused_emu
g++ -O2 -std=c++17 -I"$here/include" -o "$bin" "$here/mlstm_fused_emu.cpp"
"$bin" "$@"
