"""A small PyTorch implementation of De-focus Mamba (spec models.md section 6, ops.md sections 5, 7.1, 8.1, 11)
plus the dense heads of Scanline (segmentation head, multi-level decoder, detection head).

Written from the specification; it is checked against the golden case defocus_mamba_d3_224x224
(`python3 train_demo.py --check-golden ...`).

Glossary: B batch, H/W image height/width in pixels, ps patch size, Hp/Wp patch grid, M = Hp*Wp patch
tokens, L = M + 1 tokens (class token last), D embed width, E inner width, N state size, R dt rank,
K conv width, s sub-cells per patch side of the segmentation head (s*s logits per token).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def rotate_every_two(v):
    # (v0, v1, v2, v3, ...) -> (-v1, v0, -v3, v2, ...)
    a = v[..., 0::2]
    b = v[..., 1::2]
    return torch.stack((-b, a), dim=-1).flatten(-2)


def group_rms(y, group, eps=1e-6):
    shape = y.shape
    g = y.reshape(*shape[:-1], shape[-1] // group, group)
    g = g * torch.rsqrt(g.pow(2).mean(-1, keepdim=True) + eps)
    return g.reshape(shape)


class Mixer(nn.Module):
    def __init__(self, d, e, n, r, k, group, rho, delta_scale):
        super().__init__()
        self.e, self.n, self.r, self.k, self.group = e, n, r, k, group
        self.rho, self.delta_scale = rho, delta_scale
        self.in_proj = nn.Linear(d, 2 * e, bias=False)
        self.conv1d = nn.Conv1d(e, e, k, groups=e, padding=k - 1, bias=True)
        self.x_proj = nn.Linear(e, r + 2 * n, bias=False)
        self.dt_proj = nn.Linear(r, e, bias=True)
        self.out_proj = nn.Linear(e, d, bias=False)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, n + 1, dtype=torch.float32)).repeat(e, 1))
        self.D = nn.Parameter(torch.ones(e))
        # training initialisation of freq as in ops.md section 11 (for reference there)
        j = torch.arange(n, dtype=torch.float32)
        self.freq = nn.Parameter((100.0 ** (-(j + 1) / n) - 0.01) / 0.99)
        # dt bias: inverse softplus of dt log-uniform in [1e-3, 1e-1] (the usual Mamba initialisation)
        dt = torch.exp(torch.rand(e) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3)).clamp(min=1e-4)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
            nn.init.uniform_(self.dt_proj.weight, -r ** -0.5, r ** -0.5)

    def forward(self, hn, pos0=0):
        b, l, _ = hn.shape
        e, n, r = self.e, self.n, self.r
        xg = self.in_proj(hn)
        x, g = xg[..., :e], xg[..., e:]
        xc = F.silu(self.conv1d(x.transpose(1, 2))[..., :l].transpose(1, 2))
        p = self.x_proj(xc)
        dt, bm, cm = p[..., :r], p[..., r:r + n], p[..., r + n:]
        pos = torch.arange(l, dtype=torch.float64, device=hn.device) + pos0
        theta = (pos / self.rho)[:, None] * self.freq.to(torch.float64)[None, :]
        cos, sin = torch.cos(theta).to(hn.dtype), torch.sin(theta).to(hn.dtype)
        bm = bm * cos + rotate_every_two(bm) * sin
        cm = cm * cos + rotate_every_two(cm) * sin
        delta = F.softplus(self.dt_proj(dt)) / self.delta_scale          # divide after softplus
        a = -torch.exp(self.A_log)
        da = torch.exp(delta.unsqueeze(-1) * a)                           # (B, L, E, N)
        dbx = (delta * xc).unsqueeze(-1) * bm.unsqueeze(2)                # (B, L, E, N)
        h = torch.zeros(b, e, n, dtype=hn.dtype, device=hn.device)
        hs = []
        # unbind once: slicing per step would make autograd zero-fill a full-size gradient every step
        for da_t, dbx_t in zip(da.unbind(1), dbx.unbind(1)):
            h = da_t * h + dbx_t
            hs.append(h)
        hs = torch.stack(hs, 1)
        y = torch.einsum('blen,bln->ble', hs, cm)
        y = group_rms(y, self.group, 1e-6)
        y = (y + self.D * xc) * F.silu(g)
        return self.out_proj(y)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class Block(nn.Module):
    def __init__(self, d, eps, **kw):
        super().__init__()
        self.norm = RMSNorm(d, eps)
        self.mixer = Mixer(d, **kw)

    def forward(self, s):
        return s + self.mixer(self.norm(s))


class PatchEmbed(nn.Module):
    def __init__(self, d, ps):
        super().__init__()
        self.proj = nn.Conv2d(3, d, ps, stride=ps)

    def forward(self, img):
        return self.proj(img).flatten(2).transpose(1, 2)                  # (B, M, D), row-major tokens


class DefocusMamba(nn.Module):
    """Backbone with the official state_dict key names (cls_token, patch_embed.proj.*, blocks.*, norm.*,
    head.*, head2.*)."""

    def __init__(self, d=64, depth=3, ps=16, e=128, n=16, r=4, k=4, group=64, classes=2, eps=1e-5,
                 rho=1.0, delta_scale=1.0):
        super().__init__()
        self.ps = ps
        self.patch_embed = PatchEmbed(d, ps)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, eps, e=e, n=n, r=r, k=k, group=group, rho=rho,
                                           delta_scale=delta_scale) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, classes)
        self.head2 = nn.Linear(d, classes)

    def forward(self, img):
        """Returns final features (B, L, D) and the residual stream after every block."""
        x = self.patch_embed(img)
        s = torch.cat([x, self.cls_token.expand(x.shape[0], -1, -1)], 1)
        layers = []
        for blk in self.blocks:
            s = blk(s)
            layers.append(s)
        return self.norm(s), layers


class DenseHeads(nn.Module):
    """Per-token heads. seg_head: Linear(D, s*s) on final patch features; seg_decoder: the light
    multi-level decoder (parameter-free LayerNorm of each chosen level, per-level projection to `hidden`,
    sum, ReLU, Linear(hidden, s*s)); det_head: Linear(D, 5) = [objectness, dx, dy, w, h] raw."""

    def __init__(self, d, s, levels, hidden):
        super().__init__()
        self.s = s
        self.levels = levels
        self.seg_head = nn.Linear(d, s * s)
        self.seg_decoder = nn.Module()
        self.seg_decoder.proj = nn.ModuleList([nn.Linear(d, hidden) for _ in levels])
        self.seg_decoder.out = nn.Linear(hidden, s * s)
        self.det_head = nn.Linear(d, 5)

    def level_tensors(self, feats, layers):
        return [feats if lv == 'output.features' else layers[int(lv.split('.')[1])] for lv in self.levels]

    def forward(self, feats, layers):
        m = feats.shape[1] - 1                                              # drop the class token (last)
        f = feats[:, :m]
        seg = self.seg_head(f)
        acc = 0
        for proj, t in zip(self.seg_decoder.proj, self.level_tensors(feats, layers)):
            acc = acc + proj(F.layer_norm(t[:, :m], t.shape[-1:], eps=1e-6))
        dec = self.seg_decoder.out(F.relu(acc))
        det = self.det_head(f)
        return seg, dec, det


def cells_to_pixels(cell_logits, hp, wp, s, ps):
    """(B, M, s*s) per-token sub-cell logits -> (B, 1, Hp*ps, Wp*ps) pixel logits: tokens laid out on
    the (Hp*s, Wp*s) cell grid, then bilinear upsampling by ps/s (align_corners=False)."""
    b = cell_logits.shape[0]
    g = cell_logits.reshape(b, hp, wp, s, s).permute(0, 1, 3, 2, 4).reshape(b, 1, hp * s, wp * s)
    return F.interpolate(g, scale_factor=ps // s, mode='bilinear', align_corners=False)


def decode_boxes(det, hp, wp, ps, max_box):
    """(B, M, 5) raw -> score (B, M), boxes (B, M, 4) as x0, y0, x1, y1 in pixels. Centres move at most one
    patch from the token centre (tanh), sizes lie in (0, max_box) (sigmoid): both bounds let the
    streaming NMS know how far a future box can reach."""
    rr = torch.arange(hp, dtype=det.dtype, device=det.device).repeat_interleave(wp)
    cc = torch.arange(wp, dtype=det.dtype, device=det.device).repeat(hp)
    score = torch.sigmoid(det[..., 0])
    cx = (cc + 0.5 + torch.tanh(det[..., 1])) * ps
    cy = (rr + 0.5 + torch.tanh(det[..., 2])) * ps
    w = max_box * torch.sigmoid(det[..., 3])
    h = max_box * torch.sigmoid(det[..., 4])
    return score, torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)
