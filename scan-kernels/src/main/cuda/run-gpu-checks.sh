#!/usr/bin/env bash
# Runs the cuda backend's checks and benchmarks on a GPU machine that has no Maven, from a folder
# holding a packed Java runtime (jre.tar.xz), the jars (scan-kernels with its fatbin, jcuda,
# jcuda-natives, jackson) and the op golden cases (golden/). Order: correctness first (every op vs the
# reference backend, golden cases whole and chunked), then the benchmarks, then the PyTorch baseline
# for the same math and the speed-up table. Everything is also written to OUT_DIR.
# Usage: run-gpu-checks.sh RUNTIME_DIR OUT_DIR [--quick]
set -uo pipefail
rt=${1:?usage: run-gpu-checks.sh RUNTIME_DIR OUT_DIR [--quick]}
out=${2:?usage: run-gpu-checks.sh RUNTIME_DIR OUT_DIR [--quick]}
quick=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" /tmp/scanline-jre
[ -x /tmp/scanline-jre/jre/bin/java ] || tar -xJf "$rt/jre.tar.xz" -C /tmp/scanline-jre
java=/tmp/scanline-jre/jre/bin/java
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv 2>&1 | tee "$out/gpu.txt"
"$java" -cp "$rt/*" io.scanline.kernels.backend.cuda.CudaSelfCheck "$rt/golden" 2>&1 | tee "$out/selfcheck.txt"
"$java" -cp "$rt/*" io.scanline.kernels.bench.cuda.CudaBench $quick --json "$out/bench_cuda.json" 2>&1 | tee "$out/bench_cuda.txt"
PYTHONUNBUFFERED=1 python3 "$here/../python/bench_torch_baseline.py" $quick --json "$out/bench_torch.json" 2>&1 | tee "$out/bench_torch.txt"
python3 "$here/../python/compare_bench.py" "$out/bench_cuda.json" "$out/bench_torch.json" "$out/speedup.json" 2>&1 | tee "$out/speedup.txt"
