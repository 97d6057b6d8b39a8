#!/usr/bin/env python3
"""Export an official checkpoint to a Scanline model folder: weights.safetensors + config.json,
and, when the official code is importable, io.safetensors with reference outputs for `scanline verify`.

    python3 export.py --family vil2 --checkpoint vil2_tiny16_e800_in1k.th --out models/vil2-t
    python3 export.py --family adventurer --checkpoint adventurer_tiny_patch16_224.pth --out models/adv-t \
        --official-repo ../Adventurer --image-size 224 224

Requires PyTorch. Never bundles the official code: point --official-repo (or PYTHONPATH) at a checkout.
"""
import argparse
import importlib
import json
import os
import sys

import keymap


def load_checkpoint(path):
    import torch
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # older pickles with non-tensor objects (args namespaces) in them
        return torch.load(path, map_location="cpu", weights_only=False)


def to_entry(t):
    t = t.detach().to("cpu").float().contiguous()
    return "F32", tuple(t.shape), t.numpy().astype("<f4").tobytes()


def convert(family, checkpoint, source=None, flip_layers=None, config_overrides=None):
    """(state_dict with official names, config dict) of a checkpoint."""
    sd, used = keymap.select_state_dict(checkpoint, family, source)
    sd = {k: v for k, v in sd.items() if hasattr(v, "shape")}
    if family in ("vil1", "vil2") and keymap.is_raw_vil(sd):
        if family == "vil2":
            depth = (max(int(k.split(".")[1]) for k in sd if k.startswith("blocks.")) + 1) // 2
            legacy = any(k.startswith("head.0.") for k in sd)
            names = keymap.rename_vil2(sd, depth, legacy_norm=legacy)
        else:
            names = keymap.rename_vil1(sd)
        sd = {names[k]: v for k, v in sd.items()}
    cfg = keymap.infer_config(family, {k: tuple(v.shape) for k, v in sd.items()})
    if config_overrides:
        cfg.update(config_overrides)
    if family == "adventurer":
        cfg["flip_layers"] = flip_layers if flip_layers is not None else keymap.default_flip_layers(cfg["depth"])
    cfg["weights_source"] = used
    return sd, cfg


def official_model(family, cfg, repo):
    """The official module built with cfg's constructor arguments (needs the official code importable)."""
    if repo:
        sys.path.insert(0, os.path.abspath(repo))
    args = {k: v for k, v in cfg.items() if k not in ("family", "flip_layers", "weights_source", "token_order", "tile_size")}
    if family == "vil2":
        from vision_lstm import VisionLSTM2
        args["input_shape"] = tuple(args["input_shape"])
        args["output_shape"] = tuple(args["output_shape"]) if args.get("output_shape") else None
        return VisionLSTM2(**args)
    if family == "vil1":
        from vision_lstm import VisionLSTM
        args["input_shape"] = tuple(args["input_shape"])
        args["output_shape"] = tuple(args["output_shape"]) if args.get("output_shape") else None
        return VisionLSTM(**args)
    if family == "adventurer":
        mod = importlib.import_module("models_mamba")
        return mod.Adventurer(**args)
    raise SystemExit("reference outputs for family %s: build the official model yourself and pass it to write_io()" % family)


def write_io(model, family, cfg, sd, out_dir, height, width, seed):
    """Runs the official model in eval mode on a seeded normalized image; writes input.image,
    output.logits and, where the module is unambiguous, output.features and layer outputs."""
    import torch
    model.load_state_dict(sd, strict=True)
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    image = torch.randn(1, 3, height, width, generator=gen)
    captured = {}

    def hook(name):
        def fn(_module, _inputs, output):
            captured[name] = (output[0] if isinstance(output, tuple) else output).detach()
        return fn

    hooks = []
    if family == "vil2":
        hooks.append(model.norm.register_forward_hook(hook("output.features")))
        for i, block in enumerate(model.blocks):
            hooks.append(block.register_forward_hook(hook("layer.%d.output" % i)))
            hooks.append(block.rowwise_from_top_left.register_forward_hook(hook("layer.%d.rowwise_from_top_left.output" % i)))
    elif family == "vil1":
        if cfg.get("legacy_norm"):
            hooks.append(model.legacy_norm.register_forward_hook(hook("output.features")))
        for i, block in enumerate(model.blocks):
            hooks.append(block.register_forward_hook(hook("layer.%d.output" % i)))
    with torch.no_grad():
        logits = model(image)
    for h in hooks:
        h.remove()
    tensors = {"input.image": to_entry(image), "output.logits": to_entry(logits)}
    for k, v in captured.items():
        tensors[k] = to_entry(v)
    meta = {"made_by": "scan-kernels/tools/export", "seed": seed, "precision": "official code, fp32"}
    with open(os.path.join(out_dir, "io.safetensors"), "wb") as f:
        f.write(keymap.safetensors_bytes(tensors, meta))
    return sorted(tensors)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", required=True, choices=keymap.FAMILIES)
    p.add_argument("--checkpoint", required=True, help=".pth / .th file")
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--source", choices=("model", "model_ema", "state_dict"), help="checkpoint entry (default: model, or state_dict for ViL)")
    p.add_argument("--config", help="JSON file of constructor arguments overriding the inferred ones")
    p.add_argument("--flip-layers", help="adventurer: comma list of layer indices to flip (default: n // 2 == 1, decision D3)")
    p.add_argument("--official-repo", help="checkout of the official code; enables io.safetensors")
    p.add_argument("--image-size", nargs=2, type=int, metavar=("H", "W"), help="reference image size (default: training size)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)

    overrides = json.load(open(a.config)) if a.config else None
    flips = None
    if a.flip_layers is not None:
        chosen = {int(x) for x in a.flip_layers.split(",") if x.strip()}
        flips = chosen  # turned into a list once depth is known
    sd, cfg = convert(a.family, load_checkpoint(a.checkpoint), a.source, None, overrides)
    if flips is not None and a.family == "adventurer":
        cfg["flip_layers"] = [n in flips for n in range(cfg["depth"])]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "weights.safetensors"), "wb") as f:
        f.write(keymap.safetensors_bytes({k: to_entry(v) for k, v in sd.items()}))
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    print("wrote %d tensors and config.json (%s) to %s" % (len(sd), cfg["weights_source"], a.out))

    if a.official_repo or os.environ.get("PYTHONPATH"):
        try:
            model = official_model(a.family, cfg, a.official_repo)
        except ImportError as e:
            print("official code not importable (%s): no io.safetensors written" % e)
            return 0
        if a.image_size:
            h, w = a.image_size
        elif a.family in ("vil1", "vil2"):
            h, w = cfg["input_shape"][1], cfg["input_shape"][2]
        else:
            h = w = cfg.get("img_size", 224)
        keys = write_io(model, a.family, cfg, sd, a.out, h, w, a.seed)
        print("wrote io.safetensors with %s" % ", ".join(keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
