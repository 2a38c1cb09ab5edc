"""Noise channels in the generator's condition: the SPADE normalisations get per-pixel noise to draw texture
from; the noise is an input (the network stays a function of its condition), a warm start from a generator
without noise computes what that one did, and synthesis seeds the noise from the label maps themselves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cardio_monai.networks.gaugan import SPADEGenerator
from cardio_monai.synthesis.images import synthesize_stack
from cardio_monai.transforms import heart_region
from cardio_monai.utils.checkpoint import load_weights_widened

TINY = {"image_size": 32, "channels": (16, 8), "spade_hidden": 8}


def _labels(n: int = 3, size: int = 32, shift: int = 0) -> torch.Tensor:
    label = torch.zeros(n, 2, size, size, dtype=torch.long)
    for i in range(n):
        r, c = 12 + 2 * i + shift, 14 + i
        label[i, :, r - 5 : r + 5, c - 5 : c + 5] = 2
        label[i, 0, r - 3 : r + 3, c - 3 : c + 3] = 3
        label[i, 1, r - 2 : r + 2, c - 2 : c + 2] = 3
    return label


def test_the_noise_is_an_input_that_changes_the_painted_region_only():
    torch.manual_seed(0)
    g = SPADEGenerator(**TINY, background=True, noise_channels=2).eval()
    assert g.in_channels == 2 * 4 + 3 + 2
    label = _labels()
    image, region = torch.rand(3, 2, 32, 32), heart_region(label, 3)
    noise = torch.randn(3, 2, 32, 32)
    with torch.no_grad():
        a = g.frames_from_labels(label, image, region, noise)
        again = g.frames_from_labels(label, image, region, noise.clone())
        other = g.frames_from_labels(label, image, region, torch.randn(3, 2, 32, 32))
    assert torch.equal(a, again)  # a function of its input
    assert (a - other).abs().mul(region).amax() > 1e-4  # the noise is seen...
    assert torch.equal(a * (1 - region), image * (1 - region))  # ...and the background stays real
    assert torch.equal(other * (1 - region), image * (1 - region))
    with pytest.raises(ValueError, match="noise of shape"):
        g.condition(label, image, region, torch.randn(3, 1, 32, 32))
    with pytest.raises(ValueError, match="noise_channels=-1"):
        SPADEGenerator(**TINY, noise_channels=-1)
    scripted = torch.jit.script(g)
    torch.testing.assert_close(scripted(g.condition(label, image, region, noise)), a)


def test_a_warm_start_without_noise_weights_computes_what_the_checkpoint_did(tmp_path):
    torch.manual_seed(1)
    before = SPADEGenerator(**TINY, background=True).eval()
    torch.save(before.state_dict(), tmp_path / "bg.pt")
    noisy = load_weights_widened(SPADEGenerator(**TINY, background=True, noise_channels=2), tmp_path / "bg.pt").eval()
    label = _labels()
    image, region = torch.rand(3, 2, 32, 32), heart_region(label, 3)
    with torch.no_grad():
        want = before.frames_from_labels(label, image, region)
        for seed in (0, 1):  # whatever the noise: its weights start at zero
            torch.manual_seed(seed)
            torch.testing.assert_close(noisy.frames_from_labels(label, image, region), want)


def test_synthesis_seeds_the_noise_from_the_label_maps_not_from_the_global_generator():
    torch.manual_seed(2)
    g = SPADEGenerator(**TINY, noise_channels=1).eval()
    stack = _labels(n=4).numpy().transpose(1, 0, 2, 3)  # (2, Z, H, W)
    args = ((1.5, 1.5), g, 1.5, 32)
    torch.manual_seed(10)
    first = synthesize_stack(stack[0], stack[1], *args)
    torch.manual_seed(11)  # the global generator does not matter
    assert np.array_equal(synthesize_stack(stack[0], stack[1], *args), first)
    assert first.shape == (2, 4, 32, 32)
