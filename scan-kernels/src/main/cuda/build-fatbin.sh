#!/usr/bin/env bash
# Compiles the CUDA kernels of this folder into ONE fatbin: sm_90 and sm_90a machine code plus
# compute_90 PTX (so newer GPUs can still JIT the PTX). No run-time compilation happens anywhere.
# Usage: build-fatbin.sh SRC_DIR OUT_DIR
# Without nvcc it prints why and exits 0: the build goes on, and the cuda backend reports
# "no fatbin in this build: nvcc was absent" at run time.
set -euo pipefail
src=${1:?usage: build-fatbin.sh SRC_DIR OUT_DIR}
out=${2:?usage: build-fatbin.sh SRC_DIR OUT_DIR}
nvcc=""
for cand in "${NVCC:-}" "$(command -v nvcc 2>/dev/null || true)" "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if [ -n "$cand" ] && [ -x "$cand" ]; then nvcc=$cand; break; fi
done
if [ -z "$nvcc" ]; then
  echo "[cuda] nvcc not found (PATH, CUDA_HOME, /usr/local/cuda): building without a fatbin; the cuda backend will be unavailable"
  exit 0
fi
mkdir -p "$out"
fatbin="$out/scanline.fatbin"
# Rebuild only when a kernel source is newer than the fatbin (nvcc takes a minute on 2 cores).
if [ -f "$fatbin" ] && [ -z "$(find "$src" -name '*.cu' -newer "$fatbin" -o -name '*.cuh' -newer "$fatbin" | head -1)" ]; then
  echo "[cuda] $fatbin is up to date"
  exit 0
fi
echo "[cuda] compiling $src/scanline.cu with $nvcc"
"$nvcc" -fatbin --threads 0 -O3 -std=c++17 --use_fast_math -lineinfo \
  -gencode arch=compute_90,code=[sm_90,compute_90] \
  -gencode arch=compute_90a,code=sm_90a \
  -o "$fatbin.tmp" "$src/scanline.cu"
mv "$fatbin.tmp" "$fatbin"
ls -la "$fatbin"
