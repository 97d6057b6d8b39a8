"""Tests of the torch-free exporter logic: python3 -m unittest discover -s scan-kernels/tools/export"""
import json
import os
import struct
import unittest

import keymap


class RenameVil2(unittest.TestCase):
    def test_raw_names_map_to_pairs_and_head(self):
        raw = ["patch_embed.proj.weight", "pos_embed.embed",
               "xlstm.blocks.0.xlstm_norm.weight", "xlstm.blocks.0.xlstm.proj_up.weight",
               "xlstm.blocks.1.xlstm.conv1d.weight", "xlstm.blocks.2.xlstm.mlstm_cell.igate.bias",
               "xlstm.blocks.3.xlstm_norm.bias", "xlstm.post_blocks_norm.weight",
               "head.0.weight", "head.0.bias", "head.1.weight", "head.1.bias"]
        m = keymap.rename_vil2(raw, depth=2)
        self.assertEqual(m["xlstm.blocks.0.xlstm_norm.weight"], "blocks.0.rowwise_from_top_left.norm.weight")
        self.assertEqual(m["xlstm.blocks.0.xlstm.proj_up.weight"], "blocks.0.rowwise_from_top_left.layer.proj_up.weight")
        self.assertEqual(m["xlstm.blocks.1.xlstm.conv1d.weight"], "blocks.0.rowwise_from_bot_right.layer.conv.weight")
        self.assertEqual(m["xlstm.blocks.2.xlstm.mlstm_cell.igate.bias"], "blocks.1.rowwise_from_top_left.layer.mlstm_cell.igate.bias")
        self.assertEqual(m["xlstm.blocks.3.xlstm_norm.bias"], "blocks.1.rowwise_from_bot_right.norm.bias")
        self.assertEqual(m["xlstm.post_blocks_norm.weight"], "norm.weight")
        self.assertEqual(m["head.0.weight"], "legacy_norm.weight")
        self.assertEqual(m["head.1.bias"], "head.bias")
        self.assertEqual(m["pos_embed.embed"], "pos_embed.embed")

    def test_two_digit_blocks_are_renamed_once(self):
        raw = ["xlstm.blocks.%d.xlstm_norm.weight" % i for i in range(24)]
        m = keymap.rename_vil2(raw, depth=12)
        self.assertEqual(m["xlstm.blocks.1.xlstm_norm.weight"], "blocks.0.rowwise_from_bot_right.norm.weight")
        self.assertEqual(m["xlstm.blocks.10.xlstm_norm.weight"], "blocks.5.rowwise_from_top_left.norm.weight")
        self.assertEqual(m["xlstm.blocks.23.xlstm_norm.weight"], "blocks.11.rowwise_from_bot_right.norm.weight")
        self.assertEqual(len(set(m.values())), 24)


class RenameVil1(unittest.TestCase):
    def test_name_swap(self):
        raw = ["xlstm.blocks.3.xlstm.conv1d.conv.weight", "xlstm.blocks.0.xlstm_norm.weight",
               "xlstm.post_blocks_norm.weight", "head.0.weight", "head.0.bias", "head.1.weight"]
        m = keymap.rename_vil1(raw)
        self.assertEqual(m["xlstm.blocks.3.xlstm.conv1d.conv.weight"], "blocks.3.layer.conv1d.conv.weight")
        self.assertEqual(m["xlstm.blocks.0.xlstm_norm.weight"], "blocks.0.norm.weight")
        self.assertEqual(m["xlstm.post_blocks_norm.weight"], "legacy_norm.weight")
        self.assertEqual(m["head.0.bias"], "norm.bias")
        self.assertEqual(m["head.1.weight"], "head.weight")
        self.assertTrue(keymap.is_raw_vil(raw))
        self.assertFalse(keymap.is_raw_vil(list(m.values())))


class Checkpoints(unittest.TestCase):
    def test_entry_selection(self):
        sd, used = keymap.select_state_dict({"model": {"a.b": 1}, "model_ema": {"c.d": 2}}, "adventurer")
        self.assertEqual((sd, used), ({"a.b": 1}, "model"))
        sd, used = keymap.select_state_dict({"model": {"a.b": 1}, "model_ema": {"c.d": 2}}, "vim", "model_ema")
        self.assertEqual(used, "model_ema")
        sd, used = keymap.select_state_dict({"state_dict": {"x.y": 1}, "epoch": 3}, "vil2")
        self.assertEqual(used, "state_dict")
        with self.assertRaises(ValueError):
            keymap.select_state_dict({"model": {}}, "vim", "model_ema")

    def test_flip_default_is_released_schedule(self):
        self.assertEqual(keymap.default_flip_layers(6), [False, False, True, True, False, False])


class InferConfig(unittest.TestCase):
    def test_vil2_tiny_shapes(self):
        shapes = {"patch_embed.proj.weight": (192, 3, 16, 16), "pos_embed.embed": (1, 14, 14, 192),
                  "norm.weight": (192,), "norm.bias": (192,), "legacy_norm.weight": (384,),
                  "head.weight": (1000, 384), "head.bias": (1000,)}
        for i in range(12):
            for d in ("rowwise_from_top_left", "rowwise_from_bot_right"):
                shapes["blocks.%d.%s.layer.proj_up.bias" % (i, d)] = (768,)
                shapes["blocks.%d.%s.layer.conv.weight" % (i, d)] = (384, 1, 3, 3)
        c = keymap.infer_config("vil2", shapes)
        self.assertEqual((c["dim"], c["depth"], c["input_shape"], c["pooling"]), (192, 12, [3, 224, 224], "bilateral_flatten"))
        self.assertTrue(c["legacy_norm"] and c["proj_bias"] and c["norm_bias"])
        self.assertEqual((c["conv_kind"], c["output_shape"]), ("2d", [1000]))

    def test_adventurer_tiny_shapes(self):
        shapes = {"patch_embed.proj.weight": (256, 3, 16, 16), "pos_embed": (1, 197, 256), "head.weight": (1000, 256)}
        for n in range(12):
            shapes["layers.%d.mixer.conv1d.weight" % n] = (640, 1, 4)
            shapes["layers.%d.mixer.A_log" % n] = (8,)
            shapes["layers.%d.mixer.norm.weight" % n] = (512,)
        c = keymap.infer_config("adventurer", shapes)
        self.assertEqual((c["embed_dim"], c["depth"], c["img_size"], c["mamba_d_state"], c["mamba_expand"]), (256, 12, 224, 64, 2))
        self.assertEqual(c["ssm_cfg"], {"d_conv": 4, "headdim": 64})


SHARED = os.environ.get("SCANLINE_SHARED",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared"))


def golden_shapes(case):
    shapes = {}
    cfg = json.load(open(os.path.join(SHARED, "golden", case, "config.json")))
    for f in cfg.get("weights", ["weights.safetensors"]):
        with open(os.path.join(SHARED, "golden", case, f), "rb") as fh:
            n = struct.unpack("<Q", fh.read(8))[0]
            header = json.loads(fh.read(n))
        shapes.update({k: tuple(v["shape"]) for k, v in header.items() if k != "__metadata__"})
    return cfg, shapes


class InferFromGoldenWeights(unittest.TestCase):
    """The inferred constructor arguments equal the golden cases' own (data next to the checkout)."""

    def check(self, case, keys):
        self.assertTrue(os.path.isdir(os.path.join(SHARED, "golden")), "golden data missing at " + SHARED)
        cfg, shapes = golden_shapes(case)
        got = keymap.infer_config(cfg["family"], shapes)
        for k in keys:
            self.assertEqual(got[k], cfg[k], "%s: %s" % (case, k))

    def test_vil2(self):
        self.check("vil2_d2_224x224", ["dim", "depth", "input_shape", "pooling", "legacy_norm", "conv_kind",
                                       "output_shape", "proj_bias", "norm_bias", "mode"])

    def test_vil1(self):
        self.check("vil1_d4_64x64", ["dim", "depth", "input_shape", "pooling", "legacy_norm", "output_shape", "mode"])

    def test_adventurer(self):
        self.check("adventurer_d4_e128_224x224", ["embed_dim", "depth", "img_size", "mamba_d_state", "mamba_expand",
                                                  "num_classes", "patch_size"])


class SafetensorsWriter(unittest.TestCase):
    def test_layout(self):
        raw = struct.pack("<3f", 1.0, 2.0, 3.0)
        blob = keymap.safetensors_bytes({"b": ("F32", (3,), raw), "a": ("F32", (1, 0), b"")}, {"k": 1})
        n = struct.unpack("<Q", blob[:8])[0]
        self.assertEqual(n % 8, 0)
        header = json.loads(blob[8:8 + n])
        self.assertEqual(header["b"], {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]})
        self.assertEqual(header["__metadata__"], {"k": "1"})
        self.assertEqual(blob[8 + n:], raw)
        with self.assertRaises(ValueError):
            keymap.safetensors_bytes({"x": ("F32", (2,), raw)})


if __name__ == "__main__":
    unittest.main()
