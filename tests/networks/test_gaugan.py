"""GauGAN networks: one-hot conditioning, generator range and shape, discriminator outputs."""

from __future__ import annotations

import pytest
import torch

from cardio_monai.networks.gaugan import ConditionalDiscriminator, SPADEGenerator, labels_to_onehot


def test_onehot_is_phase_major_and_invertible():
    label = torch.randint(0, 4, (3, 2, 16, 16), generator=torch.Generator().manual_seed(0))
    onehot = labels_to_onehot(label)
    assert onehot.shape == (3, 8, 16, 16)
    for p in range(2):
        block = onehot[:, 4 * p : 4 * (p + 1)]
        assert torch.equal(block.sum(1), torch.ones(3, 16, 16))
        assert torch.equal(block.argmax(1), label[:, p])


@pytest.mark.parametrize("phases", [1, 2])
def test_generator_gives_frames_in_unit_range(phases):
    channels = (32, 16)
    g = SPADEGenerator(phases=phases, image_size=64, channels=channels, spade_hidden=8).eval()
    assert channels == (32, 16)  # SPADENet reverses its channel list in place: ours is untouched
    label = torch.randint(0, 4, (2, phases, 64, 64))
    with torch.no_grad():
        out = g(labels_to_onehot(label))
    assert out.shape == (2, phases, 64, 64)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_frames_from_labels_runs_the_per_frame_model_phase_by_phase():
    torch.manual_seed(0)
    label = torch.randint(0, 4, (3, 2, 32, 32))
    per_frame = SPADEGenerator(phases=1, image_size=32, channels=(16, 8), spade_hidden=8).eval()
    joint = SPADEGenerator(phases=2, image_size=32, channels=(16, 8), spade_hidden=8).eval()
    with torch.no_grad():
        frames = per_frame.frames_from_labels(label)
        es_alone = per_frame(labels_to_onehot(label[:, 1:]))
        assert frames.shape == joint.frames_from_labels(label).shape == (3, 2, 32, 32)
    torch.testing.assert_close(frames[:, 1:], es_alone)  # ES frame from the ES map only
    with pytest.raises(ValueError, match="3 phases"):
        joint.frames_from_labels(torch.zeros(1, 3, 32, 32, dtype=torch.long))


def test_generator_refuses_sizes_spade_cannot_take():
    with pytest.raises(ValueError, match="multiple of 8"):
        SPADEGenerator(image_size=100, channels=(32, 16, 8))


def test_discriminator_gives_logits_and_features_per_scale():
    d = ConditionalDiscriminator(image_size=64, num_d=2, num_layers=2, channels=8)
    label = labels_to_onehot(torch.randint(0, 4, (2, 2, 64, 64)))
    logits, feats = d(label, torch.rand(2, 2, 64, 64))
    assert len(logits) == len(feats) == 2
    assert len(feats[1]) > len(feats[0])  # coarser scales are deeper (MONAI: by depth, not input size)
    for lg, fs in zip(logits, feats, strict=True):
        assert lg.shape[:2] == (2, 1) and len(fs) >= 2 and all(f.shape[0] == 2 for f in fs)
