"""Checks defocus_torch.DefocusMamba against a golden case of ../shared/golden (float64).
Usage: /usr/bin/python3 check_golden.py <golden-case-dir>"""
import json
import os
import sys

import numpy as np
import torch

import st_io
from defocus_torch import DefocusMamba


def main(case):
    cfg = json.load(open(os.path.join(case, 'config.json')))
    w = {}
    for f in cfg.get('weights', ['weights.safetensors']):
        w.update(st_io.read(os.path.normpath(os.path.join(case, f))))
    io = st_io.read(os.path.join(case, 'io.safetensors'))
    m = DefocusMamba(d=cfg['embed_dim'], depth=cfg['depth'], ps=cfg['patch_size'], e=cfg['intermediate_size'],
                     n=cfg['state_size'], r=cfg['time_step_rank'], k=cfg['conv_kernel'], group=cfg['group_norm_size'],
                     classes=cfg['num_classes'], eps=cfg['layer_norm_epsilon'], rho=cfg['rope_scale_factor'],
                     delta_scale=cfg['delta_scale_factor'])
    m.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()}, strict=True)
    m = m.double().eval()
    with torch.no_grad():
        feats, layers = m(torch.from_numpy(io['input.image']).double())
    worst = 0.0
    for key, got in [('output.features', feats)] + [('layer.%d.output' % i, t) for i, t in enumerate(layers)]:
        ref = io[key].astype(np.float64)
        err = np.abs(got.numpy() - ref).max() / np.abs(ref).max()
        worst = max(worst, err)
        print('%-16s normwise err %.3e' % (key, err))
    # the golden tolerance of an fp64 implementation (limited by the F32 rounding of stored outputs)
    assert worst < 1e-6, worst
    print('OK')


if __name__ == '__main__':
    main(sys.argv[1])
