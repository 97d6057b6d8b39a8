#!/usr/bin/env bash
# GPU call: ViL-B-sized vil2 in the bf16 mode at 1024², per-op profile, fusedQk by-shape (bf16 q/k, prefetching build)
# against fp32 (fp32-input build), alternating.
set -u
R=$OUT/prof; mkdir -p $R
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
for qk in by-shape fp32 by-shape fp32; do
  echo "== fusedQk=$qk" >> $R/prof.txt
  timeout 100 $J -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --set dim=768,depth=12 --sizes 1024 --chunk 4096 --repeats 3 --profile-ops --backend-option fusedQk=$qk >> $R/prof.txt 2>&1; echo "vil2 $qk rc $?"
done
grep -n '' $R/prof.txt | head -80
