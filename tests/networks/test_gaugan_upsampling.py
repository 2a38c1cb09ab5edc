"""The generator's upsampling mode: the same parameters either way (a nearest-upsampling checkpoint loads
into a bilinear generator strictly), bilinear leaves no 2 x 2 blocks in the decoder, and it scripts; the
bundle's configs and the realism evaluation pass the mode through."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from cardio_monai.networks.gaugan import SPADEGenerator, labels_to_onehot
from cardio_monai.synthesis.experiments import _network

CONFIGS = Path(__file__).resolve().parents[2] / "bundles" / "cardiac_gaugan_synthesis" / "configs"


def _pair() -> tuple[SPADEGenerator, SPADEGenerator]:
    torch.manual_seed(0)
    nearest = SPADEGenerator(phases=2, image_size=32, channels=(16, 8), spade_hidden=8).eval()
    bilinear = SPADEGenerator(phases=2, image_size=32, channels=(16, 8), spade_hidden=8, upsampling_mode="bilinear")
    bilinear.load_state_dict(nearest.state_dict(), strict=True)
    return nearest, bilinear.eval()


def test_one_checkpoint_two_modes_different_frames():
    nearest, bilinear = _pair()
    assert nearest.upsampling_mode == "nearest" and bilinear.net.decoder.upsampling.mode == "bilinear"
    x = labels_to_onehot(torch.randint(0, 4, (2, 2, 32, 32)))
    with torch.no_grad():
        a, b = nearest(x), bilinear(x)
        assert a.shape == b.shape == (2, 2, 32, 32) and not torch.allclose(a, b, atol=1e-4)
        assert torch.allclose(torch.jit.script(bilinear)(x), b, atol=1e-6)


def test_nearest_upsampling_repeats_pixels_in_blocks_bilinear_does_not():
    nearest, bilinear = _pair()
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    up_n, up_b = nearest.net.decoder.upsampling(x), bilinear.net.decoder.upsampling(x)
    assert torch.equal(up_n[..., ::2, ::2], up_n[..., 1::2, 1::2])  # 2 x 2 blocks of one value
    assert not torch.equal(up_b[..., ::2, ::2], up_b[..., 1::2, 1::2])


def test_configs_and_evaluation_pass_the_mode():
    for name, key in (("train.json", "generator_def"), ("inference.json", "network_def")):
        config = json.loads((CONFIGS / name).read_text())
        assert config["upsampling_mode"] == "nearest" and config[key]["upsampling_mode"] == "@upsampling_mode"
    for name in ("evaluate.json", "select_checkpoint.json"):
        assert "upsampling_mode=@upsampling_mode" in (CONFIGS / name).read_text()
    assert _network(True, None, "bilinear") == {"background": True, "upsampling_mode": "bilinear"}
    assert _network(None) == {}
