#!/usr/bin/env python3
"""Summarises an Nsight Compute source export (ncu -i REP --page source --csv --print-source sass) of one kernel:
the samples and executed warp instructions between consecutive block barriers (BAR.SYNC), per block and chunk,
with each segment's top opcodes, then the opcode totals.
Usage: ncu_segments.py SOURCE_CSV BLOCKS CHUNKS_PER_BLOCK"""
import csv
import sys
from collections import Counter


def main():
    path, blocks, chunks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Address")
    cols = rows[head]
    ci = {name: cols.index(name) for name in ("Source", "Warp Stall Sampling (All Samples)", "Instructions Executed")}
    insts = []
    for r in rows[head + 1:]:
        if len(r) < len(cols):
            continue
        src = r[ci["Source"]].strip()
        op = src.split()[0] if src else "?"
        if op.startswith("@"):
            op = src.split()[1]
        op = op.split(".")[0]
        num = lambda x: int(x.replace(",", "")) if x.strip() not in ("", "-") else 0
        insts.append((op, num(r[ci["Warp Stall Sampling (All Samples)"]]), num(r[ci["Instructions Executed"]])))
    total_s = sum(s for _, s, _ in insts) or 1
    total_e = sum(e for _, _, e in insts)
    per = blocks * chunks
    print(f"samples {total_s}, warp instructions executed {total_e} = {total_e / per:.0f} per block and chunk")
    print("segments between block barriers (first instruction index, share of samples, warp instructions per block-chunk,"
          " top opcodes by samples):")
    start, seg = 0, []
    def flush(s0, seg):
        if not seg:
            return
        sm = sum(s for _, s, _ in seg)
        ex = sum(e for _, _, e in seg)
        ops = Counter()
        for op, s, _ in seg:
            ops[op] += s
        top = " ".join(f"{op}:{100 * s / total_s:.1f}%" for op, s in ops.most_common(6))
        print(f"  [{s0:5d}] {100 * sm / total_s:5.1f}% {ex / per:8.0f}  {top}")
    for i, ins in enumerate(insts):
        seg.append(ins)
        if ins[0] == "BAR":
            flush(start, seg)
            start, seg = i + 1, []
    flush(start, seg)
    ops_s, ops_e = Counter(), Counter()
    for op, s, e in insts:
        ops_s[op] += s
        ops_e[op] += e
    print("opcodes (samples %, executed per block-chunk): " +
          ", ".join(f"{op} {100 * s / total_s:.1f}%/{ops_e[op] / per:.0f}" for op, s in ops_s.most_common(16)))


if __name__ == "__main__":
    main()
