#!/usr/bin/env bash
# GPU call: where the host thread of a ViL-T bf16 model pass spends its time (JFR execution samples), 4096² image, chunk
# 4096: the top frames of the main thread's samples, and jdk.NativeMethodSample top frames (JNI calls into the driver).
set -u
R=$OUT/jfr; mkdir -p $R
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
timeout 200 $J -XX:StartFlightRecording=filename=/tmp/vil.jfr,settings=profile -Dscanline.cuda.precision=bf16 -cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli bench-models --backend cuda --family vil2 --sizes 4096 --chunk 4096 --repeats 5 > $R/bench.txt 2>&1; echo "bench rc $?"
grep '^vil2' $R/bench.txt
/tmp/rt/jre/bin/jfr print --events jdk.ExecutionSample /tmp/vil.jfr > /tmp/exec.txt 2>/dev/null || $J -XX:+UnlockDiagnosticVMOptions -version
/tmp/rt/jre/bin/jfr summary /tmp/vil.jfr > $R/jfr_summary.txt 2>&1
for ev in jdk.ExecutionSample jdk.NativeMethodSample; do
  /tmp/rt/jre/bin/jfr print --events $ev --stack-depth 3 /tmp/vil.jfr 2>/dev/null | grep -A1 'stackTrace = \[' | grep -v 'stackTrace\|^--' | sed 's/line:.*//' | sort | uniq -c | sort -rn | head -25 > $R/top_$ev.txt
  echo "== $ev"; head -12 $R/top_$ev.txt
done
