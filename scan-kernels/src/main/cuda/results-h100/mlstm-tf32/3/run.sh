#!/usr/bin/env bash
# GPU run: the chunkwise mLSTM's 3xTF32 tensor-core form (fp32 mode). Self-check (conformance runs both fp32 forms);
# vil2, vil1 goldens on cuda whole and in chunks of 7; CudaBench mLSTM rows; ViL models A/B (fp32Mlstm=simt vs tf32x3).
mkdir -p /tmp/rt && tar -xJf gpu-run/jre.tar.xz -C /tmp/rt
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
J=/tmp/rt/jre/bin/java
G=gpu-run/golden
NOW="-cp gpu-run/scanline.jar io.scanline.jobs.cli.ScanlineCli"
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,driver_version --format=csv > $R/gpu.txt 2>&1
timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.backend.cuda.CudaSelfCheck > $R/selfcheck.txt 2>&1; echo "selfcheck rc $?"; tail -1 $R/selfcheck.txt; grep "FAIL\|Exception" $R/selfcheck.txt | head -8; grep -c "tf32x3" $R/selfcheck.txt
grep "mlstm B" $R/selfcheck.txt | grep " h abs" | grep -v chunked
( for c in vil2_d2_64x64 vil1_d4_64x64; do for k in 0 7; do echo "== $c chunk $k"; timeout 60 $J $NOW verify --backend cuda --chunk $k $G/$c; done; done ) > $R/golden.txt 2>&1
grep "outputs,\|rror" $R/golden.txt | sort | uniq -c; grep -c "^== " $R/golden.txt
B="bench-models --backend cuda --chunk 4096 --repeats 3"
for f in auto simt auto simt; do
  echo "== fp32Mlstm=$f" >> $R/ab.txt
  timeout 100 $J $NOW $B --sizes 1024,4096 --family vil2 --set dim=768,depth=12 --backend-option fp32Mlstm=$f >> $R/ab.txt 2>&1
  timeout 60 $J $NOW $B --sizes 4096 --family vil2 --backend-option fp32Mlstm=$f >> $R/ab.txt 2>&1
  timeout 60 $J $NOW $B --sizes 4096 --family vil1 --backend-option fp32Mlstm=$f >> $R/ab.txt 2>&1
done
grep "==\|x1024\|x4096" $R/ab.txt

timeout 200 $J -cp gpu-run/scanline.jar io.scanline.kernels.bench.cuda.CudaBench --mlstm-only --json $R/bench_mlstm.json > $R/bench_mlstm.txt 2>&1; echo "bench rc $?"; grep "mlstm_chunkwise" $R/bench_mlstm.txt | head -30
tar -czf $OUT/results.tgz -C $OUT r
