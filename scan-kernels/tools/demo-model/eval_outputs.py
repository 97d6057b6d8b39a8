"""Scores the outputs of `scanline segment` on the bundled H&E image against the derived labels, on the
held-out region only (x >= the split column used for training).

Usage: python3 eval_outputs.py --mask MASK.pgm --coco COCO.json --image he.ppm [--labels-cache labels.npz]
(convert the mask PNG with `vips copy NAME.mask.png MASK.pgm`; numpy only, no image libraries.)
"""
import argparse
import json
import math

import numpy as np

import labels
from train_demo import box_iou, match_f1


def read_pgm(path):
    return labels.read_netpbm(path, b'P5')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mask', required=True)
    ap.add_argument('--coco', required=True)
    ap.add_argument('--image', required=True)
    ap.add_argument('--labels-cache')
    ap.add_argument('--train-frac', type=float, default=0.7)
    ap.add_argument('--patch', type=int, default=16)
    args = ap.parse_args()
    if args.labels_cache:
        z = np.load(args.labels_cache)
        mask, boxes = z['mask'], z['boxes']
    else:
        mask, boxes, _ = labels.nuclei(labels.read_ppm(args.image))
    h, w = mask.shape
    x_split = int(math.ceil(args.train_frac * w / args.patch) * args.patch)
    pred = read_pgm(args.mask) > 0
    assert pred.shape == mask.shape, (pred.shape, mask.shape)
    p, m = pred[:, x_split:], mask[:, x_split:]
    tp, fp, fn = np.sum(p & m), np.sum(p & ~m), np.sum(~p & m)
    coco = json.load(open(args.coco))
    dets = sorted(coco['annotations'], key=lambda a: -a['score'])
    pb = [[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3]] for a in dets]
    # held out: boxes whose centre lies right of the split, on both sides
    pb = [b for b in pb if (b[0] + b[2]) / 2 >= x_split]
    gt = [b for b in boxes.tolist() if (b[0] + b[2]) / 2 >= x_split]
    dtp, dfp, dfn = match_f1(pb, gt)
    out = {'region': 'x >= %d of %dx%d' % (x_split, w, h),
           'mask': {'iou': tp / (tp + fp + fn), 'f1': 2 * tp / (2 * tp + fp + fn), 'precision': tp / max(tp + fp, 1),
                    'recall': tp / max(tp + fn, 1)},
           'detection': {'f1_at_iou50': 2 * dtp / max(2 * dtp + dfp + dfn, 1), 'tp': dtp, 'fp': dfp, 'fn': dfn,
                         'precision': dtp / max(dtp + dfp, 1), 'recall': dtp / max(dtp + dfn, 1)}}
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
