"""Minimal safetensors reader/writer with numpy (the layout of ../shared/golden/README.md), so the
script needs nothing beyond torch and numpy."""
import json
import struct

import numpy as np

_DT = {'F32': np.float32, 'F64': np.float64}
_NAME = {np.dtype(np.float32): 'F32', np.dtype(np.float64): 'F64'}


def read(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        b, e = v['data_offsets']
        out[k] = np.frombuffer(data[b:e], dtype=_DT[v['dtype']]).reshape(v['shape']).copy()
    return out


def write(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k])
        raw = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[k] = {'dtype': _NAME[a.dtype], 'shape': list(a.shape), 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
