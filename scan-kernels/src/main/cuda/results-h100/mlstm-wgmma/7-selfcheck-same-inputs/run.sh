#!/usr/bin/env bash
set -u
R=$OUT/wg7; mkdir -p $R
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 240 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8
grep 'fused' $R/selfcheck.txt | grep ' h vs' | awk '{for(i=1;i<=NF;i++) if($i=="rel") print $0}' | sed 's/ vs reference on bf16 q, k, v//' | awk '{print $0}' | cut -c1-150 | head -70
