"""Trains the Scanline demo model: a tiny De-focus Mamba backbone + dense heads (nuclei segmentation and
detection) on the bundled H&E image, with labels derived by colour deconvolution (labels.py). Exports
weights.safetensors + config.json (golden format, official key names + head keys), io.safetensors (a
float64 reference of one held-out tile), metrics.json and an overlay PNG.

Usage (see README.md):
  python3 train_demo.py --image he.ppm --out OUT [--device cuda|cpu] [--steps 1500] [--seed 7]

Glossary: B batch, T tile side in pixels, ps patch size, Hp/Wp patch grid of a tile, M = Hp*Wp tokens,
D embed width, s sub-cells per patch side, K nuclei boxes.
"""
import argparse
import json
import math
import os
import struct
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F

import labels
import st_io
from defocus_torch import DefocusMamba, DenseHeads, cells_to_pixels, decode_boxes

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
ARCH = dict(d=64, depth=2, ps=16, e=128, n=16, r=4, k=4, group=64, classes=2)
HEADS = dict(s=4, levels=['layer.0.output', 'layer.1.output', 'output.features'], hidden=32)
MAX_BOX = 64.0       # pixels; nuclei boxes at 0.5 um/px are 6..70 px (99th percentile ~50-70)
SCORE_THRESHOLD = 0.5
NMS_IOU = 0.3


def normalize(rgb_u8):
    """uint8 (..., 3) -> float32 (3, ...) with ImageNet mean/std, computed in fp32 as the goldens do."""
    x = rgb_u8.astype(np.float32) / np.float32(255.0)
    x = (x - MEAN.astype(np.float32)) / STD.astype(np.float32)
    return np.moveaxis(x, -1, 0).astype(np.float32)


def token_targets(boxes, x0, y0, t, ps):
    """Per-token detection targets of the tile at (x0, y0): objectness (M), and for positive tokens the
    box centre offset from the token centre in patches (2) and the box size / MAX_BOX (2). A box belongs to
    the token whose patch holds its centre; when two share a patch the larger wins."""
    hp = t // ps
    cx = (boxes[:, 0] + boxes[:, 2]) / 2 - x0
    cy = (boxes[:, 1] + boxes[:, 3]) / 2 - y0
    inside = (cx >= 0) & (cx < t) & (cy >= 0) & (cy < t)
    b = boxes[inside]
    cx, cy = cx[inside], cy[inside]
    obj = np.zeros(hp * hp, np.float32)
    reg = np.zeros((hp * hp, 4), np.float32)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    for i in np.argsort(area, kind='stable'):
        c, r = int(cx[i] // ps), int(cy[i] // ps)
        tok = r * hp + c
        obj[tok] = 1
        reg[tok] = [cx[i] / ps - (c + 0.5), cy[i] / ps - (r + 0.5),
                    min((b[i, 2] - b[i, 0]) / MAX_BOX, 0.999), min((b[i, 3] - b[i, 1]) / MAX_BOX, 0.999)]
    return obj, reg


def flip_tile(img, mask, boxes, x0, y0, t, fx, fy):
    """Flips a tile and the boxes (in image coordinates relative to the tile origin)."""
    b = boxes.copy()
    if fx:
        img, mask = img[:, ::-1], mask[:, ::-1]
        b[:, [0, 2]] = 2 * x0 + t - boxes[:, [2, 0]]
    if fy:
        img, mask = img[::-1], mask[::-1]
        b[:, [1, 3]] = 2 * y0 + t - boxes[:, [3, 1]]
    return img, mask, b


def batch(rgb, mask, boxes, rng, n, t, ps, x_max):
    imgs, masks, objs, regs = [], [], [], []
    h = rgb.shape[0]
    for _ in range(n):
        x0 = int(rng.integers(0, x_max - t + 1))
        y0 = int(rng.integers(0, h - t + 1))
        img, m, b = flip_tile(rgb[y0:y0 + t, x0:x0 + t], mask[y0:y0 + t, x0:x0 + t], boxes, x0, y0, t,
                              rng.random() < 0.5, rng.random() < 0.5)
        # mild stain jitter: per-channel gain so the head does not learn one scanner's exact colours
        img = np.clip(img.astype(np.float32) * rng.uniform(0.92, 1.08, 3), 0, 255).astype(np.uint8)
        o, r = token_targets(b, x0, y0, t, ps)
        imgs.append(normalize(img))
        masks.append(np.ascontiguousarray(m, np.float32))
        objs.append(o)
        regs.append(r)
    return (torch.from_numpy(np.stack(imgs)), torch.from_numpy(np.stack(masks))[:, None],
            torch.from_numpy(np.stack(objs)), torch.from_numpy(np.stack(regs)))


def seg_loss(logits, target):
    p = torch.sigmoid(logits)
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return F.binary_cross_entropy_with_logits(logits, target) + dice


def forward_all(model, heads, img):
    feats, layers = model(img)
    seg, dec, det = heads(feats, layers)
    return feats, layers, seg, dec, det


def nms(boxes, scores, iou):
    """Greedy NMS, highest score first, ties by index (the Java BoxNms does the same)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if all(box_iou(boxes[i], boxes[j]) <= iou for j in keep):
            keep.append(i)
    return keep


def box_iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_f1(pred, gt, thr=0.5):
    """Greedy one-to-one matching (pred in score order) at IoU >= thr -> (tp, fp, fn)."""
    used = set()
    tp = 0
    for p in pred:
        best, bj = thr, -1
        for j, g in enumerate(gt):
            if j not in used:
                v = box_iou(p, g)
                if v >= best:
                    best, bj = v, j
        if bj >= 0:
            used.add(bj)
            tp += 1
    return tp, len(pred) - tp, len(gt) - tp


def evaluate(model, heads, rgb, mask, boxes, tiles, t, ps, device, thresholds=(SCORE_THRESHOLD,)):
    """Pooled pixel IoU/F1 of both segmentation heads and detection F1 at IoU 0.5 (one entry per score
    threshold; 'detection' = the first), over the given tiles run one by one."""
    hp = t // ps
    acc = {k: np.zeros(3) for k in ('seg_head', 'seg_decoder')}
    det = {thr: np.zeros(3) for thr in thresholds}
    per_tile = []
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    with torch.no_grad():
        for (x0, y0) in tiles:
            img = torch.from_numpy(normalize(rgb[y0:y0 + t, x0:x0 + t]))[None].to(device)
            _, _, seg, dec, raw = forward_all(model, heads, img)
            m = mask[y0:y0 + t, x0:x0 + t]
            for k, cells in (('seg_head', seg), ('seg_decoder', dec)):
                p = (cells_to_pixels(cells, hp, hp, HEADS['s'], ps)[0, 0] > 0).cpu().numpy()
                acc[k] += [np.sum(p & m), np.sum(p & ~m), np.sum(~p & m)]
            score, bx = decode_boxes(raw.double(), hp, hp, ps, MAX_BOX)
            score, bx = score[0].cpu().numpy(), bx[0].cpu().numpy() + [x0, y0, x0, y0]
            gt = boxes[(cx >= x0) & (cx < x0 + t) & (cy >= y0) & (cy < y0 + t)]
            gt = np.stack([np.clip(gt[:, 0], x0, x0 + t), np.clip(gt[:, 1], y0, y0 + t),
                           np.clip(gt[:, 2], x0, x0 + t), np.clip(gt[:, 3], y0, y0 + t)], 1) if len(gt) else gt
            for i, thr in enumerate(thresholds):
                sel = np.flatnonzero(score > thr)
                keep = [sel[j] for j in nms(bx[sel].tolist(), score[sel].tolist(), NMS_IOU)]
                r = match_f1(bx[keep].tolist(), gt.tolist())
                det[thr] += r
                if i == 0:
                    per_tile.append(dict(x0=x0, y0=y0, nuclei=int(len(gt)), detected=len(keep), tp=r[0]))
    out = {}
    for k, (tp, fp, fn) in acc.items():
        out[k] = dict(iou=tp / max(tp + fp + fn, 1), f1=2 * tp / max(2 * tp + fp + fn, 1),
                      precision=tp / max(tp + fp, 1), recall=tp / max(tp + fn, 1))
    by = {}
    for thr, (tp, fp, fn) in det.items():
        by[thr] = dict(score_threshold=thr, f1_at_iou50=2 * tp / max(2 * tp + fp + fn, 1),
                       precision=tp / max(tp + fp, 1), recall=tp / max(tp + fn, 1), tp=int(tp), fp=int(fp), fn=int(fn))
    out['detection'] = by[thresholds[0]]
    if len(thresholds) > 1:
        out['detection_by_threshold'] = list(by.values())
    out['tiles'] = len(tiles)
    out['label_pixels_fraction'] = float(np.mean([mask[y:y + t, x:x + t].mean() for x, y in tiles]))
    return out, per_tile


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b''.join(b'\0' + rgb[i].tobytes() for i in range(h))

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def draw_rect(img, b, color):
    h, w, _ = img.shape
    x0, y0, x1, y1 = [int(round(v)) for v in b]
    x0, x1 = max(0, min(w - 1, x0)), max(0, min(w - 1, x1 - 1))
    y0, y1 = max(0, min(h - 1, y0)), max(0, min(h - 1, y1 - 1))
    img[y0, x0:x1 + 1] = color
    img[y1, x0:x1 + 1] = color
    img[y0:y1 + 1, x0] = color
    img[y0:y1 + 1, x1] = color


def overlay(model, heads, rgb, mask, x0, y0, size, t, ps, device):
    """Mask (green tint) and boxes (yellow) predicted over a held-out region, tile by tile, beside the
    derived label (blue contour)."""
    hp = t // ps
    out = rgb[y0:y0 + size, x0:x0 + size].copy()
    pred = np.zeros((size, size), bool)
    all_boxes = []
    with torch.no_grad():
        for ty in range(0, size, t):
            for tx in range(0, size, t):
                img = torch.from_numpy(normalize(rgb[y0 + ty:y0 + ty + t, x0 + tx:x0 + tx + t]))[None].to(device)
                _, _, seg, _, raw = forward_all(model, heads, img)
                pred[ty:ty + t, tx:tx + t] = (cells_to_pixels(seg, hp, hp, HEADS['s'], ps)[0, 0] > 0).cpu().numpy()
                score, bx = decode_boxes(raw.double(), hp, hp, ps, MAX_BOX)
                score, bx = score[0].cpu().numpy(), bx[0].cpu().numpy() + [tx, ty, tx, ty]
                sel = np.flatnonzero(score > SCORE_THRESHOLD)
                all_boxes += [bx[sel[i]] for i in nms(bx[sel].tolist(), score[sel].tolist(), NMS_IOU)]
    out[pred] = (out[pred] * 0.55 + np.array([0, 200, 0]) * 0.45).astype(np.uint8)
    lab = mask[y0:y0 + size, x0:x0 + size]
    edge = lab & ~(np.roll(lab, 1, 0) & np.roll(lab, -1, 0) & np.roll(lab, 1, 1) & np.roll(lab, -1, 1))
    out[edge] = [30, 60, 255]
    for b in all_boxes:
        draw_rect(out, b, [255, 220, 0])
    return out


def export(model, heads, cfg_extra, rgb, tile_xy, t, out_dir, metrics, args, n_params):
    sd = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()}
    hd = {k: v.detach().cpu().float().numpy() for k, v in heads.state_dict().items()}
    assert not set(sd) & set(hd)
    # the backbone file is a plain golden-format checkpoint (`scanline verify` loads it and rejects foreign
    # keys); the heads live in their own file named by config.dense_heads.weights
    st_io.write(os.path.join(out_dir, 'weights.safetensors'), sd)
    st_io.write(os.path.join(out_dir, 'heads.safetensors'), hd)
    # float64 reference of one held-out tile, from the stored F32 weights (the golden precision policy)
    m64 = DefocusMamba(**ARCH).double().eval()
    m64.load_state_dict({k: torch.from_numpy(v).double() for k, v in sd.items()})
    h64 = DenseHeads(ARCH['d'], **HEADS).double().eval()
    h64.load_state_dict({k: torch.from_numpy(v).double() for k, v in hd.items()})
    x0, y0 = tile_xy
    img = normalize(rgb[y0:y0 + t, x0:x0 + t])[None]
    hp = t // ARCH['ps']
    with torch.no_grad():
        feats, layers, seg, dec, det = forward_all(m64, h64, torch.from_numpy(img).double())
        logits_all = torch.cat([m64.head2(feats[:, :-1]), m64.head(feats[:, -1:])], 1)
        pix = cells_to_pixels(seg, hp, hp, HEADS['s'], ARCH['ps'])
    io = {'input.image': img, 'output.features': feats, 'output.logits': m64.head(feats[:, -1]),
          'output.logits_all_tokens': logits_all}
    for i, l in enumerate(layers):
        io['layer.%d.output' % i] = l
    heads_io = {'input.image': img, 'output.seg_cells': seg, 'output.seg_decoder_cells': dec,
                'output.det_raw': det, 'output.seg_pixel_logits': pix}
    for name, tensors in (('io.safetensors', io), ('heads_io.safetensors', heads_io)):
        st_io.write(os.path.join(out_dir, name),
                    {k: (v if isinstance(v, np.ndarray) else v.detach().numpy()).astype(np.float32) for k, v in tensors.items()})
    cfg = {
        'family': 'defocus_mamba', 'img_size': t, 'patch_size': ARCH['ps'], 'num_classes': ARCH['classes'],
        'embed_dim': ARCH['d'], 'TYPE': 'mamba', 'depth': ARCH['depth'], 'drop_path_rate': 0.0,
        'use_rope': True, 'use_pos_embed': False, 'use_aux_loss': True, 'head_type': 'IN1k_cls',
        'patch_embed_change_res': False, 'state_size': ARCH['n'], 'conv_kernel': ARCH['k'],
        'intermediate_size': ARCH['e'], 'time_step_rank': ARCH['r'], 'time_step_scale': 1.0,
        'time_step_init_scheme': 'random', 'time_step_max': 0.1, 'time_step_min': 0.001,
        'time_step_floor': 0.0001, 'use_conv_bias': True, 'hidden_act': 'silu', 'use_bias': False,
        'residual_in_fp32': True, 'layer_norm_epsilon': 1e-05, 'initializer_range': 0.1,
        'rescale_prenorm_residual': False, 'use_out_norm': False, 'group_norm_size': ARCH['group'],
        'rope_scale_factor': 1.0, 'delta_scale_factor': 1.0, 'norm_layer': 'nn.LayerNorm(eps=1e-6)',
        'block_layers': 'MambaBlock', 'token_order': 'raster',
    }
    cfg['args'] = {'MODEL': {k: cfg[k] for k in ('TYPE', 'depth', 'drop_path_rate', 'use_rope', 'use_pos_embed',
                                                  'use_aux_loss', 'head_type', 'patch_embed_change_res')},
                   'TRAIN': {'USE_CHECKPOINT': False}}
    cfg['args']['MODEL']['MAMBA'] = {k: cfg[k] for k in (
        'state_size', 'conv_kernel', 'intermediate_size', 'time_step_rank', 'time_step_scale',
        'time_step_init_scheme', 'time_step_max', 'time_step_min', 'time_step_floor', 'use_conv_bias',
        'hidden_act', 'use_bias', 'residual_in_fp32', 'layer_norm_epsilon', 'initializer_range',
        'rescale_prenorm_residual', 'use_out_norm', 'group_norm_size', 'rope_scale_factor', 'delta_scale_factor')}
    cfg.update({
        'constructor': 'classification/models/defocus_attention_network.py::DefocusAttentionNetwork',
        'constructor_kwarg_names': ['args', 'embed_dim', 'img_size', 'num_classes', 'patch_size'],
        'official': 'github.com/OpenGVLab/De-focus-Attention-Networks@9406511ff2b89dc14b549996504f2e9ec7b6f0e0',
        'derived': {'grid': [hp, hp], 'num_patches': hp * hp, 'seqlen': hp * hp + 1,
                    'cls_token_position': hp * hp, 'token_order': 'row-major patches, cls last, no pos embed',
                    'block_norm_eps': 1e-05, 'final_norm_eps': 1e-06, 'scan_group_norm_eps': 1e-06},
        'batch': 1,
        'layer_output_keys': ['layer.%d.output' % i for i in range(ARCH['depth'])],
        'num_parameters': sum(v.size for v in sd.values()),
        'num_parameters_heads': sum(v.size for v in hd.values()),
        'num_state_dict_keys': len(sd),
        'dtype_of_reference': 'float64',
        'outputs_stored_as': 'float32 (rounded from the float64 reference)',
        'weights_stored_as': 'float32 (the exact values used by the reference)',
        'seed': args.seed,
    })
    cfg.update(cfg_extra)
    cfg['metrics_held_out'] = metrics
    with open(os.path.join(out_dir, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--image', required=True, help='H&E level 0 as binary PPM (see README)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--steps', type=int, default=600)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--tile', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--labels-cache', help='npz file: reused when present, written when absent')
    ap.add_argument('--train-frac', type=float, default=0.7)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--from-checkpoint', help='trained.pt of an earlier run: skip training, evaluate and export')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    ps, t = ARCH['ps'], args.tile
    t0 = time.time()
    rgb = labels.read_ppm(args.image)
    if args.labels_cache and os.path.exists(args.labels_cache):
        z = np.load(args.labels_cache)
        mask, boxes, thr = z['mask'], z['boxes'], float(z['threshold'])
    else:
        mask, boxes, thr = labels.nuclei(rgb)
        if args.labels_cache:
            np.savez_compressed(args.labels_cache, mask=mask, boxes=boxes, threshold=thr)
    print('labels: %d nuclei, %.4f of pixels, hematoxylin threshold %.4f (%.0f s)'
          % (len(boxes), mask.mean(), thr, time.time() - t0), flush=True)
    h, w = mask.shape
    # split by position: columns left of x_split train, the rest (aligned to the patch grid) is held out;
    # held-out tiles never overlap a training crop
    x_split = int(math.ceil(args.train_frac * w / ps) * ps)
    held = [(x, y) for y in range(0, h - t + 1, t) for x in range(x_split, w - t + 1, t)]
    model = DefocusMamba(**ARCH).to(args.device)
    heads = DenseHeads(ARCH['d'], **HEADS).to(args.device)
    params = list(model.parameters()) + list(heads.parameters())
    n_params = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / 100) * 0.5 * (1 + math.cos(math.pi * min(i, args.steps) / args.steps)))
    hp = t // ps
    t1 = time.time()
    if args.from_checkpoint:
        ck = torch.load(args.from_checkpoint, map_location=args.device)
        model.load_state_dict(ck['model'])
        heads.load_state_dict(ck['heads'])
    for step in range(0 if args.from_checkpoint else args.steps):
        img, m, obj, reg = [a.to(args.device) for a in batch(rgb, mask, boxes, rng, args.batch, t, ps, x_split)]
        feats, layers, seg, dec, det = forward_all(model, heads, img)
        l_seg = seg_loss(cells_to_pixels(seg, hp, hp, HEADS['s'], ps), m)
        l_dec = seg_loss(cells_to_pixels(dec, hp, hp, HEADS['s'], ps), m)
        l_obj = F.binary_cross_entropy_with_logits(det[..., 0], obj, pos_weight=torch.tensor(3.0, device=args.device))
        pos = obj > 0
        pred = torch.cat([torch.tanh(det[..., 1:3]), torch.sigmoid(det[..., 3:5])], -1)
        l_reg = F.smooth_l1_loss(pred[pos], reg[pos], beta=0.1) * 4 if pos.any() else det.sum() * 0
        # official heads trained on by-products so they carry meaning: head2 = per-patch "mostly nucleus",
        # head (class token) = tile has nuclei above 3% of its pixels
        frac = F.avg_pool2d(m, ps).flatten(1)
        l_h2 = F.cross_entropy(model.head2(feats[:, :-1]).reshape(-1, 2), (frac > 0.25).long().reshape(-1))
        l_h = F.cross_entropy(model.head(feats[:, -1]), (m.mean((1, 2, 3)) > 0.03).long())
        loss = l_seg + l_dec + l_obj + l_reg + 0.2 * (l_h2 + l_h)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            print('step %5d loss %.4f seg %.4f dec %.4f obj %.4f reg %.4f (%.0f s)' % (
                step, loss.item(), l_seg.item(), l_dec.item(), l_obj.item(), l_reg.item(), time.time() - t1), flush=True)
    train_seconds = time.time() - t1
    # keep the trained parameters even if evaluation or export fails later
    torch.save({'model': model.state_dict(), 'heads': heads.state_dict()}, os.path.join(args.out, 'trained.pt'))
    model.eval()
    heads.eval()
    # the detection score threshold is chosen on the training region (best F1 there), never on held-out tiles
    train_tiles = [(x, y) for y in range(0, h - t + 1, t) for x in range(0, x_split - t + 1, t)]
    metrics_train, _ = evaluate(model, heads, rgb, mask, boxes, train_tiles, t, ps, args.device,
                                thresholds=(0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95))
    global SCORE_THRESHOLD
    SCORE_THRESHOLD = max(metrics_train['detection_by_threshold'], key=lambda d: d['f1_at_iou50'])['score_threshold']
    metrics_train['detection'] = [d for d in metrics_train['detection_by_threshold'] if d['score_threshold'] == SCORE_THRESHOLD][0]
    print('detection score threshold (best F1 on the training region): %.2f' % SCORE_THRESHOLD)
    metrics, per_tile = evaluate(model, heads, rgb, mask, boxes, held, t, ps, args.device, thresholds=(SCORE_THRESHOLD,))
    print(json.dumps(metrics, indent=1))
    print('train-region', json.dumps({k: metrics_train[k] for k in ('seg_head', 'seg_decoder', 'detection')}))
    # the held-out tile with most nuclei: reference tensors and the overlay come from there
    best = max(per_tile, key=lambda r: r['nuclei'])
    extra = {
        'dense_heads': {
            'segmentation': {'key': 'seg_head', 'classes': ['nucleus'], 'subdivision': HEADS['s'],
                             'upsample': 'bilinear', 'threshold_logit': 0.0},
            'segmentation_decoder': {'key': 'seg_decoder', 'classes': ['nucleus'], 'subdivision': HEADS['s'],
                                     'levels': HEADS['levels'], 'hidden': HEADS['hidden'],
                                     'level_norm_eps': 1e-6, 'activation': 'relu'},
            'detection': {'key': 'det_head', 'classes': ['nucleus'], 'max_box': MAX_BOX,
                          'score_threshold': SCORE_THRESHOLD, 'nms_iou': NMS_IOU},
            'windows': {'size': t, 'overlap': 32},
            'weights': 'heads.safetensors',
            'input': {'mean': MEAN.tolist(), 'std': STD.tolist()},
        },
        'training': {
            'data': 'testdata/pathology/CMU-1-Small-Region.svs.tiff level 0 (2220x2967, 0.499 um/px)',
            'labels': 'labels.py: hematoxylin colour deconvolution, Otsu %.4f, opening 3x3, components >= %d px'
                      % (thr, labels.MIN_AREA),
            'nuclei': int(len(boxes)), 'split': 'train x < %d px, held out x >= %d px (%d tiles of %d px)'
                      % (x_split, x_split, len(held), t),
            'steps': args.steps, 'batch': args.batch, 'lr': args.lr, 'device': args.device,
            'torch': torch.__version__, 'train_seconds': None if args.from_checkpoint else round(train_seconds, 1),
            'reference_tile': [best['x0'], best['y0']],
        },
        'metrics_train_region': {k: metrics_train[k] for k in ('seg_head', 'seg_decoder', 'detection', 'detection_by_threshold')},
    }
    export(model, heads, extra, rgb, (best['x0'], best['y0']), t, args.out, metrics, args, n_params)
    oy = min(best['y0'], h - 2 * t)
    ov = overlay(model, heads, rgb, mask, x_split, oy, 2 * t, t, ps, args.device)
    write_png(os.path.join(args.out, 'overlay-heldout.png'), ov)
    with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
        json.dump({'held_out': metrics, 'train_region': extra['metrics_train_region'], 'per_tile': per_tile}, f, indent=1)
    print('done in %.0f s' % (time.time() - t0))


if __name__ == '__main__':
    main()
