#!/usr/bin/env python3
"""Joins CudaBench's JSON with bench_torch_baseline.py's JSON by (op, shape) and prints our speed-up.
Usage: compare_bench.py CUDA_JSON TORCH_JSON [OUT_JSON]"""
import json
import sys

ours = {(r["op"], r.get("shape")): r for r in json.load(open(sys.argv[1]))}
base = {(r["op"], r.get("shape")): r for r in json.load(open(sys.argv[2]))}
rows = []
print(f"{'op':16s} {'shape':34s} {'ours ms':>10s} {'torch ms':>10s} {'speed-up':>9s} {'ours %peak':>10s}")
for key, t in base.items():
    if "ms_median" not in t:
        continue
    # our variants of one op (e.g. linear_fp32_simt and linear_fp32_tf32x3) each against the same baseline
    for (op, shape), o in ours.items():
        if shape != key[1] or not (op == key[0] or op.startswith(key[0] + "_")):
            continue
        sp = t["ms_median"] / o["ms_median"]
        rows.append({"op": op, "shape": shape, "ours_ms": o["ms_median"], "torch_ms": t["ms_median"], "speedup": sp})
        print(f"{op:16s} {shape:34s} {o['ms_median']:10.3f} {t['ms_median']:10.3f} {sp:8.1f}x {o.get('pct_of_copy_peak', 0):9.1f}%")
if len(sys.argv) > 3:
    json.dump(rows, open(sys.argv[3], "w"), indent=1)
