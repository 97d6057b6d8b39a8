"""Nuclei labels derived from an H&E image by colour deconvolution (no manual annotation).

Method: Ruifrok & Johnston stain vectors (the matrix skimage.color.rgb2hed uses), optical density
-log(rgb) projected on the hematoxylin vector; Otsu threshold of the hematoxylin channel over tissue
pixels (values clipped at their 99.5th percentile) (tissue = not near-white); opening with a 3x3 square; connected components (8-connectivity) of
at least MIN_AREA pixels are nuclei; each component's bounding box is a detection target.

Glossary: H, W image height/width in pixels; K number of nuclei components.
"""
import numpy as np
import torch
import torch.nn.functional as F

RGB_FROM_HED = np.array([[0.65, 0.70, 0.29],
                         [0.07, 0.99, 0.11],
                         [0.27, 0.57, 0.78]])
HED_FROM_RGB = np.linalg.inv(RGB_FROM_HED)
MIN_AREA = 40          # pixels at 0.499 um/px: ~10 um^2, smaller specks are noise, not nuclei
TISSUE_MAX_MEAN = 0.85  # mean RGB in [0, 1] above which a pixel is glass background


def read_netpbm(path, magic):
    """Binary 8-bit netpbm: P6 (PPM) -> uint8 (H, W, 3), P5 (PGM) -> uint8 (H, W)."""
    with open(path, 'rb') as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == magic and int(fields[3]) == 255, fields
    w, h = int(fields[1]), int(fields[2])
    ch = 3 if magic == b'P6' else 1
    img = np.frombuffer(data[pos + 1:pos + 1 + w * h * ch], np.uint8)
    return img.reshape(h, w, 3) if ch == 3 else img.reshape(h, w)


def read_ppm(path):
    """Binary P6 PPM (8-bit) -> uint8 (H, W, 3)."""
    return read_netpbm(path, b'P6')


def hematoxylin(rgb):
    """uint8 (H, W, 3) -> hematoxylin optical density (H, W), as skimage.color.rgb2hed channel 0."""
    x = np.maximum(rgb.astype(np.float64) / 255.0, 1e-6)
    od = np.log(x) / np.log(1e-6)
    return np.maximum(od @ HED_FROM_RGB, 0)[..., 0]


def otsu(values, bins=256):
    hist, edges = np.histogram(values, bins=bins)
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centers) - np.cumsum(hist * centers)) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2
    return centers[np.argmax(between[:-1])]


def _dilate(m):
    return F.max_pool2d(m, 3, 1, 1)


def _erode(m):
    return -F.max_pool2d(-m, 3, 1, 1)


def components(mask):
    """bool (H, W) -> int64 labels (H, W), 0 = background, 8-connected. Union-find over the foreground
    pixels only: every round hooks each edge's larger root under the smaller one (np.minimum.at), then
    compresses paths by pointer jumping; rounds stop when no edge joins two roots."""
    h, w = mask.shape
    idx = -np.ones((h + 2, w + 2), np.int64)
    ys, xs = np.nonzero(mask)
    idx[ys + 1, xs + 1] = np.arange(len(ys))
    edges = []
    for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):       # each undirected 8-neighbour pair once
        nb = idx[ys + 1 + dy, xs + 1 + dx]
        ok = nb >= 0
        edges.append(np.stack([np.flatnonzero(ok), nb[ok]], 1))
    e = np.concatenate(edges) if edges else np.zeros((0, 2), np.int64)
    parent = np.arange(len(ys))
    for _ in range(1000):
        ra, rb = parent[e[:, 0]], parent[e[:, 1]]
        diff = ra != rb
        if not diff.any():
            break
        lo, hi = np.minimum(ra[diff], rb[diff]), np.maximum(ra[diff], rb[diff])
        np.minimum.at(parent, hi, lo)
        while True:
            nxt = parent[parent]
            if np.array_equal(nxt, parent):
                break
            parent = nxt
    else:
        raise RuntimeError('union-find did not converge')
    lab = np.zeros((h, w), np.int64)
    lab[ys, xs] = parent + 1
    return lab


def nuclei(rgb):
    """uint8 (H, W, 3) -> (mask bool (H, W), boxes float (K, 4) x0, y0, x1, y1 with x1/y1 exclusive,
    threshold)."""
    hem = hematoxylin(rgb)
    tissue = rgb.astype(np.float64).mean(-1) / 255.0 < TISSUE_MAX_MEAN
    v = hem[tissue]
    # ink and saturated specks reach OD ~1.8; clipping them keeps Otsu on the stain's own range
    t = otsu(np.minimum(v, np.percentile(v, 99.5)))
    raw = torch.from_numpy((hem > t) & tissue)[None, None].double()
    opened = _dilate(_erode(raw))
    lab = components(opened[0, 0].numpy() > 0.5)
    ids, inv, area = np.unique(lab.ravel(), return_inverse=True, return_counts=True)
    keep = (area >= MIN_AREA) & (ids != 0)
    mask = keep[inv].reshape(lab.shape)
    ys, xs = np.nonzero(mask)
    li = lab[ys, xs]
    o = np.argsort(li, kind='stable')
    li, ys, xs = li[o], ys[o], xs[o]
    starts = np.flatnonzero(np.r_[True, li[1:] != li[:-1]]) if len(li) else np.zeros(0, np.int64)
    boxes = np.stack([np.minimum.reduceat(xs, starts), np.minimum.reduceat(ys, starts),
                      np.maximum.reduceat(xs, starts) + 1, np.maximum.reduceat(ys, starts) + 1], 1) \
        if len(li) else np.zeros((0, 4))
    return mask, boxes.astype(np.float64), t
