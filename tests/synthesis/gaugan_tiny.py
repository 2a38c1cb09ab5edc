"""A GauGAN bundle with a tiny, untrained generator (64 px at 3 mm) for tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from cardio_monai.networks.gaugan import SPADEGenerator

GAUGAN_BUNDLE = Path(__file__).resolve().parents[2] / "bundles" / "cardiac_gaugan_synthesis"
TINY_GAUGAN = {"image_size": 64, "pixel_mm": 3.0, "generator_channels": [32, 16], "spade_hidden": 8}


def write_tiny_gaugan(root: Path, background: bool = False) -> Path:
    """The shipped configs with the tiny profile and a seeded untrained generator in ``root``
    (``background``: a background-preserving one)."""
    shutil.copytree(GAUGAN_BUNDLE / "configs", root / "configs")
    for name in ("train.json", "inference.json"):
        config = json.loads((root / "configs" / name).read_text())
        config.update(TINY_GAUGAN, background=background)
        (root / "configs" / name).write_text(json.dumps(config))
    (root / "models").mkdir()
    torch.manual_seed(0)
    g = SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8, background=background)
    torch.save(g.state_dict(), root / "models" / "model.pt")
    return root
