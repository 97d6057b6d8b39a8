"""Writes the bicubic-resize fixture used by BicubicResizeTest.

Expected values come from PyTorch's own upsample_bicubic2d (F.interpolate, mode="bicubic",
align_corners=False) computed in float64, for the sizes spec ops §12 lists. Run with any PyTorch
(Debian's python3-torch works):  python3 make_bicubic_fixture.py OUT.safetensors
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

CASES = [((14, 14), (27, 27)), ((14, 14), (32, 48)), ((27, 27), (14, 14)), ((5, 7), (13, 2)),
         ((14, 14), (14, 14)), ((4, 4), (64, 64)), ((3, 5), (1, 1))]


def main(out):
    g = torch.Generator().manual_seed(12)
    tensors = {}
    for i, ((h, w), (oh, ow)) in enumerate(CASES):
        x = torch.randn(1, 3, h, w, generator=g, dtype=torch.float64).float().double()  # fp32-representable input
        y = F.interpolate(x, size=(oh, ow), mode="bicubic", align_corners=False)
        tensors[f"case{i}.in"] = x[0]
        tensors[f"case{i}.out"] = y[0]
    header, blobs, off = {"__metadata__": {"torch": torch.__version__}}, [], 0
    for k, t in tensors.items():
        b = t.contiguous().numpy().astype("<f8").tobytes()
        header[k] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(hj)) + hj + b"".join(blobs))


if __name__ == "__main__":
    main(sys.argv[1])
