#!/usr/bin/env python3
"""PyTorch baseline for the cuda kernels' benchmark: the same op math written plainly in torch (fp32,
TF32 off), timed with CUDA events after warm-up, medians reported as JSON lines with the same
op/shape keys as CudaBench so speed-ups can be joined.

Glossary: B batch (images), L tokens, E channels, N state size, H/P heads/head dim (SSD), NH/DH mLSTM
heads/head dim, Q chunk length.

Baselines:
  selective_scan  - token loop of mamba_ssm's selective_scan_ref (with an initial state), the only
                    plain-torch form for a per-(channel, state) decay; run at L = 4096 only (it is
                    launch-bound: ~5 kernels per token).
  ssd             - ssd_minimal_discrete of the Mamba-2 paper (chunked, segsum), with initial state.
  mlstm_chunkwise - chunkwise mLSTM as in mlstm_kernels' native torch form: a loop over chunks for
                    the states, then all chunks' outputs in parallel.
  causal_conv1d   - F.conv1d depthwise with left padding (tokens transposed to channel-major).
  linear_fp32     - torch.nn.functional.linear (cuBLAS fp32).
Usage: bench_torch_baseline.py [--quick] [--json FILE]
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
QUICK = "--quick" in sys.argv
REPS = 3 if QUICK else 5
results = []


def median_ms(fn, reps=REPS):
    fn()
    fn()
    ts = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e))
    ts.sort()
    return ts[len(ts) // 2]


def report(op, shape, tokens, ms, extra=None):
    r = {"op": op, "shape": shape, "impl": "torch", "device": torch.cuda.get_device_name(), "dtype": "fp32",
         "ms_median": ms, "tokens_per_s": tokens / (ms * 1e-3)}
    if extra:
        r.update(extra)
    results.append(r)
    print(f"torch {op:16s} {shape:34s} {ms:10.3f} ms {tokens / (ms * 1e-3):12.4g} tok/s", flush=True)


def selective_scan_loop(u, delta, A, Bm, Cm, D, z, dbias, h):
    # token-major (B, L, E); h (B, E, N)
    dl = F.softplus(delta + dbias)
    ys = []
    for t in range(u.shape[1]):
        h = torch.exp(dl[:, t, :, None] * A) * h + (dl[:, t] * u[:, t])[:, :, None] * Bm[:, t, None, :]
        ys.append(torch.einsum("ben,bn->be", h, Cm[:, t]))
    y = torch.stack(ys, dim=1) + D * u
    return y * F.silu(z), h


def segsum(x):
    T = x.size(-1)
    x = x[..., None].expand(*x.shape, T)
    mask = torch.tril(torch.ones(T, T, device=x.device, dtype=torch.bool), diagonal=-1)
    x = x.masked_fill(~mask, 0)
    xs = torch.cumsum(x, dim=-2)
    mask = torch.tril(torch.ones(T, T, device=x.device, dtype=torch.bool), diagonal=0)
    return xs.masked_fill(~mask, -torch.inf)


def ssd_minimal(X, dt, A, Bm, Cm, D, dt_bias, s0, Q):
    # X (b, L, h, p); dt (b, L, h); A (h); Bm/Cm (b, L, 1, n); s0 (b, h, p, n)
    b, L, h, p = X.shape
    dtp = F.softplus(dt + dt_bias)
    Xd = X * dtp[..., None]
    Ad = dtp * A
    c = L // Q
    Xc = Xd.reshape(b, c, Q, h, p)
    Ac = Ad.reshape(b, c, Q, h).permute(0, 3, 1, 2)          # b h c l
    Bc = Bm.reshape(b, c, Q, 1, -1).expand(b, c, Q, h, Bm.shape[-1])
    Cc = Cm.reshape(b, c, Q, 1, -1).expand(b, c, Q, h, Cm.shape[-1])
    A_cum = torch.cumsum(Ac, dim=-1)
    Lm = torch.exp(segsum(Ac))
    Y_diag = torch.einsum("bclhn,bcshn,bhcls,bcshp->bclhp", Cc, Bc, Lm, Xc)
    decay_states = torch.exp(A_cum[:, :, :, -1:] - A_cum)
    states = torch.einsum("bclhn,bhcl,bclhp->bchpn", Bc, decay_states, Xc)
    states = torch.cat([s0[:, None], states], dim=1)
    decay_chunk = torch.exp(segsum(F.pad(A_cum[:, :, :, -1], (1, 0))))
    new_states = torch.einsum("bhzc,bchpn->bzhpn", decay_chunk, states)
    states, final = new_states[:, :-1], new_states[:, -1]
    Y_off = torch.einsum("bclhn,bchpn,bhcl->bclhp", Cc, states, torch.exp(A_cum))
    y = (Y_diag + Y_off).reshape(b, L, h, p) + D[:, None] * X
    return y, final


def mlstm_chunkwise(q, k, v, ig, fg, C, n, m, Q, eps=1e-6):
    # q,k,v (B, L, NH, DH) -> work in (B, NH, c, Q, DH); states C (B,NH,DH,DH), n (B,NH,DH), m (B,NH)
    B, L, NH, DH = q.shape
    c = L // Q
    tr = lambda t: t.permute(0, 2, 1, 3).reshape(B, NH, c, Q, DH)
    q, k, v = tr(q), tr(k) / math.sqrt(DH), tr(v)
    lf = F.logsigmoid(fg).permute(0, 2, 1).reshape(B, NH, c, Q)
    ii = ig.permute(0, 2, 1).reshape(B, NH, c, Q)
    bcum = torch.cumsum(lf, dim=-1)
    g = bcum[..., -1]
    a = g[..., None] - bcum + ii                                     # (B,NH,c,Q)
    # chunk states, sequentially
    Cs, ns, ms = [], [], []
    for j in range(c):
        Cs.append(C); ns.append(n); ms.append(m)
        mnew = torch.maximum(g[:, :, j] + m, a[:, :, j].max(-1).values)
        w = torch.exp(a[:, :, j] - mnew[..., None])
        dec = torch.exp(g[:, :, j] + m - mnew)
        C = dec[..., None, None] * C + torch.einsum("bhs,bhsi,bhsj->bhij", w, k[:, :, j], v[:, :, j])
        n = dec[..., None] * n + torch.einsum("bhs,bhsi->bhi", w, k[:, :, j])
        m = mnew
    Cin, nin, mi = torch.stack(Cs, 2), torch.stack(ns, 2), torch.stack(ms, 2)
    # outputs, all chunks at once
    logD = bcum[..., :, None] - bcum[..., None, :] + ii[..., None, :]
    mask = torch.tril(torch.ones(Q, Q, dtype=torch.bool, device=q.device))
    logD = logD.masked_fill(~mask, -torch.inf)
    mt = torch.maximum(bcum + mi[..., None], logD.max(-1).values)
    S = (q @ k.transpose(-1, -2)) * torch.exp(logD - mt[..., None])
    w = torch.exp(bcum + mi[..., None] - mt)
    num = w[..., None] * (q @ Cin) + S @ v
    den = w * torch.einsum("bhcqd,bhcd->bhcq", q, nin) + S.sum(-1)
    h = num / (torch.maximum(den.abs(), torch.exp(-mt)) + eps)[..., None]
    return h.reshape(B, NH, L, DH).permute(0, 2, 1, 3), (C, n, m)


def rnd(*shape, lo=-1.0, hi=1.0):
    return torch.rand(*shape, device=dev) * (hi - lo) + lo


def run():
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}", flush=True)
    x = torch.empty(1 << 29, device=dev).uniform_()
    y = torch.empty_like(x)
    ms = median_ms(lambda: y.copy_(x))
    print(f"torch copy bandwidth: {8 * x.numel() / (ms * 1e6):.0f} GB/s", flush=True)
    results.append({"op": "copy_peak", "impl": "torch", "gb_s": 8 * x.numel() / (ms * 1e6), "ms": ms})
    del x, y
    for e in ([384] if QUICK else [384, 768, 1536]):
        for n in [16, 64]:
            b, L = 1, 4096
            u, dl, z = rnd(b, L, e), rnd(b, L, e, lo=-4, hi=-1), rnd(b, L, e, lo=-2, hi=2)
            A, Bm, Cm = rnd(e, n, lo=-2, hi=-0.1), rnd(b, L, n), rnd(b, L, n)
            D, db, h = rnd(e, lo=0, hi=1), rnd(e, lo=-0.5, hi=0.5), rnd(b, e, n, lo=-0.1, hi=0.1)
            with torch.no_grad():
                ms = median_ms(lambda: selective_scan_loop(u, dl, A, Bm, Cm, D, z, db, h), reps=3)
            report("selective_scan", f"B{b} L{L} E{e} N{n}", b * L, ms)
    for e in ([768] if QUICK else [768, 1536]):
        for n in [16, 64]:
            for b, L in ([(1, 4096), (1, 65536)] if QUICK else [(1, 4096), (1, 65536), (8, 65536), (64, 4096)]):
                h = e // 64
                X, dt = rnd(b, L, h, 64), rnd(b, L, h, lo=-4, hi=-1)
                A, Bm, Cm = rnd(h, lo=-2, hi=-0.1), rnd(b, L, 1, n), rnd(b, L, 1, n)
                D, dtb, s0 = rnd(h, lo=0, hi=1), rnd(h, lo=-0.5, hi=0.5), rnd(b, h, 64, n, lo=-0.1, hi=0.1)
                try:
                    with torch.no_grad():
                        ms = median_ms(lambda: ssd_minimal(X, dt, A, Bm, Cm, D, dtb, s0, 64))
                    report("ssd", f"B{b} L{L} H{h} P64 N{n}", b * L, ms)
                except torch.OutOfMemoryError:
                    print(f"torch ssd B{b} L{L} H{h} N{n}: out of memory", flush=True)
                torch.cuda.empty_cache()
    for b, L in ([(1, 4096)] if QUICK else [(1, 4096), (1, 65536), (8, 65536), (64, 4096)]):
        c = 1536
        xx, w, bias = rnd(b, L, c), rnd(c, 1, 4, lo=-0.5, hi=0.5), rnd(c, lo=-0.5, hi=0.5)
        with torch.no_grad():
            ms = median_ms(lambda: F.silu(F.conv1d(F.pad(xx.transpose(1, 2), (3, 0)), w, bias, groups=c)).transpose(1, 2).contiguous())
        report("causal_conv1d", f"B{b} L{L} C{c} K4", b * L, ms)
    for b, L, NH, DH in ([(1, 4096, 4, 96)] if QUICK else [(1, 4096, 4, 96), (1, 65536, 4, 96), (8, 65536, 4, 96), (64, 4096, 4, 96), (8, 65536, 8, 64)]):
        q, k, v = rnd(b, L, NH, DH), rnd(b, L, NH, DH), rnd(b, L, NH, DH)
        ig, fg = rnd(b, L, NH, lo=-2, hi=2), rnd(b, L, NH, lo=1, hi=5)
        C0, n0, m0 = rnd(b, NH, DH, DH, lo=-0.1, hi=0.1), rnd(b, NH, DH, lo=-0.1, hi=0.1), rnd(b, NH, lo=0, hi=1)
        try:
            with torch.no_grad():
                ms = median_ms(lambda: mlstm_chunkwise(q, k, v, ig, fg, C0, n0, m0, 64), reps=3)
            report("mlstm_chunkwise", f"B{b} L{L} NH{NH} DH{DH} Q64", b * L, ms)
        except torch.OutOfMemoryError:
            print(f"torch mlstm B{b} L{L}: out of memory", flush=True)
        torch.cuda.empty_cache()
    for m, kk, no in ([(4096, 768, 768)] if QUICK else [(65536, 768, 3072), (65536, 3072, 768), (16384, 1536, 1536)]):
        xx, w, bias = rnd(m, kk), rnd(no, kk), rnd(no)
        with torch.no_grad():
            ms = median_ms(lambda: F.linear(xx, w, bias))
        report("linear_fp32", f"M{m} K{kk} N{no}", m, ms, {"tflop_s": 2 * m * kk * no / (ms * 1e9)})


def correctness():
    """The torch baselines against each other on small sizes (they must compute the op we time)."""
    torch.manual_seed(0)
    b, L, h, p, n = 1, 128, 2, 8, 16
    X, dt = torch.randn(b, L, h, p, device=dev, dtype=torch.float64), torch.randn(b, L, h, device=dev, dtype=torch.float64) - 1
    A, Bm, Cm = -torch.rand(h, device=dev, dtype=torch.float64) - 0.1, torch.randn(b, L, 1, n, device=dev, dtype=torch.float64), torch.randn(b, L, 1, n, device=dev, dtype=torch.float64)
    D, dtb, s0 = torch.randn(h, device=dev, dtype=torch.float64), torch.randn(h, device=dev, dtype=torch.float64), torch.randn(b, h, p, n, device=dev, dtype=torch.float64)
    y, fin = ssd_minimal(X, dt, A, Bm, Cm, D, dtb, s0, 32)
    S = s0.clone()
    dtp = F.softplus(dt + dtb)
    ys = []
    for t in range(L):
        S = torch.exp(dtp[:, t, :, None, None] * A[:, None, None]) * S + dtp[:, t, :, None, None] * X[:, t, :, :, None] * Bm[:, t, 0, None, None, :]
        ys.append(torch.einsum("bhpn,bn->bhp", S, Cm[:, t, 0]) + D[:, None] * X[:, t])
    yr = torch.stack(ys, 1)
    print(f"torch baseline check: ssd chunked vs recurrence rel {((y - yr).abs().max() / yr.abs().max()).item():.2e}, "
          f"state {((fin - S).abs().max() / S.abs().max()).item():.2e}", flush=True)


if __name__ == "__main__":
    correctness()
    run()
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    if out:
        with open(out, "w") as f:
            json.dump(results, f, indent=1)
