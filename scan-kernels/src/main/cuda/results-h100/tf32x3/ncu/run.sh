#!/usr/bin/env bash
# GPU run: Nsight Compute of the 3xTF32 GEMM (the third launch: 65536x768x3072 from CudaBench --gemm-only).
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
R=$OUT/r; mkdir -p $R
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true); echo "ncu: $ncu"
timeout 300 $ncu --target-processes all -k regex:gemm_nt_tf32x3 -s 2 -c 1 --section SpeedOfLight --section WarpStateStats --section InstructionStats --section ComputeWorkloadAnalysis --section Occupancy --section SchedulerStats --section MemoryWorkloadAnalysis --section LaunchStats $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --gemm-only > $R/ncu-gemm-tf32x3.txt 2>&1; echo "ncu rc $?"
grep -E "Duration|Throughput|Ipc|Issue Slots|Warp Cycles|Occupancy|Registers|pipeline|Stall|stall|Est" $R/ncu-gemm-tf32x3.txt | head -60
tar -czf $OUT/results.tgz -C $OUT r
