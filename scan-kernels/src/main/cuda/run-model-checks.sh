#!/usr/bin/env bash
# Model-level checks and benchmarks of the cuda backend on a GPU machine without Maven, from a folder
# holding a packed Java runtime (jre.tar.xz), a slim CLI jar (scanline.jar: io/scanline, picocli,
# jackson, jcuda, libJCudaDriver, cuda/scanline.fatbin) and the model golden cases (golden/).
# Order: op self-check (includes the device-resident chain checks), every model golden case whole,
# chunked by 7 and (64x64 cases) by 1, then model benchmarks with resident outputs and, for the
# speed-up, with a host round trip per op (-Dscanline.cuda.resident=false).
# Usage: run-model-checks.sh RUNTIME_DIR OUT_DIR
set -u
rt=${1:?usage: run-model-checks.sh RUNTIME_DIR OUT_DIR}
out=${2:?usage: run-model-checks.sh RUNTIME_DIR OUT_DIR}
mkdir -p "$out" /tmp/scanline-jre
[ -x /tmp/scanline-jre/jre/bin/java ] || tar -xJf "$rt/jre.tar.xz" -C /tmp/scanline-jre
J="/tmp/scanline-jre/jre/bin/java -Xmx40g"
CLI="$J -jar $rt/scanline.jar"
HOST="$J -Dscanline.cuda.resident=false -jar $rt/scanline.jar"
G=$rt/golden
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.txt" 2>&1
timeout 100 $J -cp "$rt/scanline.jar" io.scanline.kernels.backend.cuda.CudaSelfCheck > "$out/selfcheck.txt" 2>&1
( for c in "$G"/*; do echo "== $c whole"; $CLI verify --backend cuda "$c"; done
  for c in "$G"/*; do echo "== $c chunk 7"; $CLI verify --backend cuda --chunk 7 "$c"; done
  for c in "$G"/*64x64; do echo "== $c chunk 1"; $CLI verify --backend cuda --chunk 1 "$c"; done
  echo "== non-resident whole"; $HOST verify --backend cuda "$G"/* ) > "$out/golden.txt" 2>&1
BASE=embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48   # De-focus-B
timeout 170 $CLI bench-models --backend cuda --family defocus_mamba --set $BASE --sizes 224,1024,4096 --chunk 4096 --repeats 3 > "$out/bench_defocus_resident.txt" 2>&1
timeout 90 $HOST bench-models --backend cuda --family defocus_mamba --set $BASE --sizes 224,1024 --chunk 4096 --repeats 3 > "$out/bench_defocus_host.txt" 2>&1
timeout 240 $CLI bench-models --backend cuda --family defocus_mamba --set $BASE --sizes 1024,4096,16384 --chunk 4096 --repeats 1 > "$out/bench_defocus_16k.txt" 2>&1
timeout 70 $CLI bench-models --backend cuda --family vim --set depth=24 --sizes 224,1024,4096 --chunk 4096 --repeats 3 > "$out/bench_vim.txt" 2>&1
timeout 50 $HOST bench-models --backend cuda --family vim --set depth=24 --sizes 224,1024 --chunk 4096 --repeats 1 > "$out/bench_vim_host.txt" 2>&1
timeout 70 $CLI bench-models --backend cuda --family vil2 --set depth=12 --sizes 224,1024 --chunk 4096 --repeats 3 > "$out/bench_vil2.txt" 2>&1
timeout 100 $CLI bench-models --backend cuda --family vil2 --set depth=12 --sizes 4096 --chunk 4096 --repeats 1 > "$out/bench_vil2_4k.txt" 2>&1
timeout 50 $HOST bench-models --backend cuda --family vil2 --set depth=12 --sizes 224,1024 --chunk 4096 --repeats 1 > "$out/bench_vil2_host.txt" 2>&1
