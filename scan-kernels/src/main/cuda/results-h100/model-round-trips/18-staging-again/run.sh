#!/usr/bin/env bash
# GPU run: A/B of pinned staging for host-array uploads (STAGE: the reverted staging classes laid over the
# committed jar) against the committed code (NOW), alternating in one call, after this round's freeing changes.
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
STAGE="-cp gpu-run/stage.jar:gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 150 $J -cp gpu-run/stage.jar:gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck_stage.txt 2>&1; echo "stage selfcheck rc $?"; tail -1 $R/selfcheck_stage.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for side in NOW STAGE NOW STAGE; do
  eval "CP=\$$side"
  echo "== $side" >> $R/ab.txt
  timeout 100 $J $CP $B --sizes 4096 >> $R/ab.txt 2>&1
  timeout 100 $J $CP $B --family adventurer --set embed_dim=768,depth=12 --sizes 4096 >> $R/ab.txt 2>&1
  timeout 100 $J $CP $B --family defocus_mamba --set embed_dim=768,intermediate_size=1536,state_size=16,depth=24,time_step_rank=48 --sizes 4096 >> $R/ab.txt 2>&1
done
grep "==\|x4096" $R/ab.txt
tar -czf $OUT/results.tgz -C $OUT r
