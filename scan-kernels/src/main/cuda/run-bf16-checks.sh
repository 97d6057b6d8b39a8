#!/usr/bin/env bash
# bf16 mode checks and measurements of the cuda backend on a GPU machine without Maven, from a folder
# holding a packed Java runtime (jre.tar.xz), the slim CLI jar (scanline.jar, see run-model-checks.sh)
# and the model golden cases (golden/). Order: self-check (fp32 ops, the bf16 mode vs the reference),
# GEMM benchmark (fp32 and bf16), every model golden case whole in bf16 (errors reported; the golden
# tolerances are fp32 ones, so bf16 "FAIL" lines are expected) and in fp32, De-focus-B fp32 vs bf16.
# Usage: run-bf16-checks.sh RUNTIME_DIR OUT_DIR
set -u
rt=${1:?usage: run-bf16-checks.sh RUNTIME_DIR OUT_DIR}
out=${2:?usage: run-bf16-checks.sh RUNTIME_DIR OUT_DIR}
mkdir -p "$out" /tmp/scanline-jre
[ -x /tmp/scanline-jre/jre/bin/java ] || tar -xJf "$rt/jre.tar.xz" -C /tmp/scanline-jre
J="/tmp/scanline-jre/jre/bin/java -Xmx40g"
CLI="$J -jar $rt/scanline.jar"
BF="$J -Dscanline.cuda.precision=bf16 -jar $rt/scanline.jar"
G=$rt/golden
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv > "$out/gpu.txt" 2>&1
timeout 110 $J -cp "$rt/scanline.jar" io.scanline.kernels.backend.cuda.CudaSelfCheck > "$out/selfcheck.txt" 2>&1
timeout 80 $J -cp "$rt/scanline.jar" io.scanline.kernels.bench.cuda.CudaBench --gemm-only --json "$out/bench_gemm.json" > "$out/bench_gemm.txt" 2>&1
timeout 90 $BF verify --backend cuda "$G"/* > "$out/golden_bf16.txt" 2>&1
timeout 60 $CLI verify --backend cuda "$G"/* > "$out/golden_fp32.txt" 2>&1
BASE=embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48   # De-focus-B
timeout 100 $CLI bench-models --backend cuda --family defocus_mamba --set $BASE --sizes 1024,4096 --chunk 4096 --repeats 3 > "$out/bench_defocus_fp32.txt" 2>&1
timeout 100 $BF bench-models --backend cuda --family defocus_mamba --set $BASE --sizes 1024,4096 --chunk 4096 --repeats 3 > "$out/bench_defocus_bf16.txt" 2>&1
