"""Pure-Python parts of the exporter (no torch): checkpoint selection, ViL raw-name renaming
(spec models §2.4 / §3.3), config inference from state_dict shapes, and a safetensors writer.

Shapes are plain tuples here so that the logic can be tested without PyTorch.
"""
import json
import re
import struct

FAMILIES = ("vil2", "vil1", "vim", "adventurer", "defocus_mamba", "arm")


def select_state_dict(checkpoint, family, source=None):
    """The state_dict inside an official checkpoint and which entry it came from.

    ViL `.th` files hold `state_dict` (raw names); the Mamba-family `.pth` files hold `model` and maybe
    `model_ema`. `source=None` takes `model` (what the official evaluation loads) or `state_dict`.
    A bare state_dict (a mapping of names to tensors) is accepted as source "state_dict".
    """
    if not isinstance(checkpoint, dict):
        raise ValueError("checkpoint is not a mapping")
    candidates = ("state_dict",) if family in ("vil1", "vil2") else ("model",)
    if source is not None:
        candidates = (source,)
    for key in candidates:
        if key in checkpoint:
            sd = checkpoint[key]
            if not isinstance(sd, dict):
                raise ValueError("checkpoint['%s'] is not a state_dict" % key)
            return sd, key
    if checkpoint and all(isinstance(k, str) and "." in k for k in checkpoint) and source is None:
        return checkpoint, "state_dict"
    raise ValueError("checkpoint has none of %s (keys: %s)" % (list(candidates), sorted(checkpoint)[:10]))


def _vil_common(key):
    key = key.replace(".xlstm.", ".layer.")
    key = key.replace("xlstm.", "")
    key = key.replace(".xlstm_norm.", ".norm.")
    return key


def rename_vil2(keys, depth, legacy_norm=True):
    """Raw ViL v2 names -> VisionLSTM2 names, rules 1-6 of spec models §2.4, in order, per key."""
    out = {}
    for raw in keys:
        key = _vil_common(raw).replace(".conv1d.", ".conv.")
        for i in range(2 * depth):
            old = "blocks.%d." % i
            if old in key:
                new = "blocks.%d.%s." % (i // 2, "rowwise_from_top_left" if i % 2 == 0 else "rowwise_from_bot_right")
                key = key.replace(old, new)
        if key.startswith("post_blocks_norm."):
            key = "norm." + key[len("post_blocks_norm."):]
        elif key.startswith("head.0.") and legacy_norm:
            key = "legacy_norm." + key[len("head.0."):]
        elif key.startswith("head.1."):
            key = "head." + key[len("head.1."):]
        if key in out.values():
            raise ValueError("two raw keys map to %s" % key)
        out[raw] = key
    return out


def rename_vil1(keys):
    """Raw ViL v1 names -> VisionLSTM names (spec models §3.3): rules 1-3, then the name swap."""
    out = {}
    for raw in keys:
        key = _vil_common(raw)
        if key == "post_blocks_norm.weight":
            key = "legacy_norm.weight"
        elif key.startswith("head.0."):
            key = "norm." + key[len("head.0."):]
        elif key.startswith("head.1."):
            key = "head." + key[len("head.1."):]
        if key in out.values():
            raise ValueError("two raw keys map to %s" % key)
        out[raw] = key
    return out


def is_raw_vil(keys):
    """True when names still carry the training code's prefixes (need renaming)."""
    return any("xlstm" in k or k.startswith("post_blocks_norm.") or k.startswith("head.1.") for k in keys)


def _count_blocks(keys, pattern):
    idx = {int(m.group(1)) for k in keys for m in [re.match(pattern, k)] if m}
    return max(idx) + 1 if idx else 0


def infer_config(family, shapes, patch_size=None):
    """Official constructor arguments readable from the (renamed) state_dict shapes.

    shapes: {name: tuple}. Returns a dict; arguments the weights cannot tell (e.g. drop_path) are left out
    and take the official defaults.
    """
    keys = list(shapes)
    cfg = {"family": family}
    pw = shapes.get("patch_embed.proj.weight")
    if pw is None:
        raise ValueError("state_dict has no patch_embed.proj.weight")
    ps = patch_size or pw[2]
    if family in ("vil1", "vil2"):
        d = pw[0]
        pos = shapes["pos_embed.embed"]
        cfg.update(dim=d, patch_size=ps, input_shape=[3, pos[1] * ps, pos[2] * ps], stride=None)
        if family == "vil2":
            cfg["depth"] = _count_blocks(keys, r"blocks\.(\d+)\.rowwise_from_top_left\.")
            head = shapes.get("head.weight")
            cfg["mode"] = "classifier" if head else "features"
            cfg["output_shape"] = [head[0]] if head else None
            hd = head[1] if head else (shapes.get("legacy_norm.weight", (d,))[0])
            cfg["pooling"] = "bilateral_flatten" if hd == 2 * d else "bilateral_avg"
            cfg["legacy_norm"] = "legacy_norm.weight" in shapes
            causal = any(k.endswith("layer.conv.conv.weight") for k in keys)
            cfg["conv_kind"] = "causal1d" if causal else "2d"
            cfg["conv_kernel_size"] = 3
            cfg["proj_bias"] = any(k.endswith("layer.proj_up.bias") for k in keys)
            cfg["norm_bias"] = "norm.bias" in shapes
        else:
            cfg["depth"] = _count_blocks(keys, r"blocks\.(\d+)\.")
            head = shapes.get("head.weight")
            cfg["mode"] = "classifier" if head else None
            cfg["output_shape"] = [head[0]] if head else None
            cfg["pooling"] = "bilateral_avg" if head else None
            cfg["legacy_norm"] = "legacy_norm.weight" in shapes
            cfg["alternation"] = "bidirectional"
    elif family == "adventurer":
        d = pw[0]
        depth = _count_blocks(keys, r"layers\.(\d+)\.")
        conv = shapes["layers.0.mixer.conv1d.weight"]
        a_log = shapes["layers.0.mixer.A_log"]
        e = shapes["layers.0.mixer.norm.weight"][0]
        n = (conv[0] - e) // 2
        m0 = shapes["pos_embed"][1] - 1
        side = int(round(m0 ** 0.5))
        cfg.update(img_size=side * ps, patch_size=ps, depth=depth, embed_dim=d, channels=3,
                   num_classes=shapes["head.weight"][0], rms_norm=True, norm_epsilon=1e-5,
                   mamba_expand=e // d, mamba_d_state=n,
                   ssm_cfg={"d_conv": conv[2], "headdim": e // a_log[0]})
    else:
        d = pw[0]
        cfg.update(patch_size=ps, embed_dim=d)
        if "head.weight" in shapes:
            cfg["num_classes"] = shapes["head.weight"][0]
        n_layers = _count_blocks(keys, r"layers\.(\d+)\.") or _count_blocks(keys, r"blocks\.(\d+)\.")
        cfg["depth"] = n_layers
    return cfg


def default_flip_layers(depth):
    """Decision D3: the released Adventurer code flips layer n iff n // 2 == 1."""
    return [n // 2 == 1 for n in range(depth)]


def safetensors_bytes(tensors, metadata=None):
    """Serializes {name: (dtype 'F32'|'F64', shape tuple, raw little-endian bytes)} as safetensors."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        size = {"F32": 4, "F64": 8}[dtype]
        count = 1
        for s in shape:
            count *= s
        if len(raw) != count * size:
            raise ValueError("%s: %d bytes for shape %s" % (name, len(raw), list(shape)))
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)
