"""The conditional GAN trainer: one epoch updates both networks with finite losses."""

from __future__ import annotations

import math

import torch

from cardio_monai.engines import ConditionalGANTrainer, feature_matching_loss, region_mean_loss
from cardio_monai.networks.gaugan import ConditionalDiscriminator, SPADEGenerator, labels_to_onehot


def test_feature_matching_is_the_mean_l1_over_scales_and_layers():
    feats = [[torch.ones(1, 2, 4, 4), torch.zeros(1, 1, 2, 2)], [torch.ones(1, 2, 2, 2)]]
    assert float(feature_matching_loss(feats, [[f.clone() for f in fs] for fs in feats])) == 0.0
    shifted = [[f + 1 for f in fs] for fs in feats]
    assert float(feature_matching_loss(shifted, feats)) == 1.0
    one_layer = [[feats[0][0] + 3, feats[0][1]], feats[1]]  # one of three layers off by 3
    assert float(feature_matching_loss(one_layer, feats)) == 1.0


def test_region_mean_loss_compares_mean_intensities_per_label_region():
    # One frame, one phase: background left half, blood pool right half; no myocardium or RV.
    label = torch.zeros(1, 1, 4, 4, dtype=torch.long)
    label[..., 2:] = 3
    onehot = labels_to_onehot(label, 4)
    real = torch.rand(1, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    assert float(region_mean_loss(real, real, onehot)) == 0.0
    # Pixel-wise different but the same mean in each region: no loss (it is not a reconstruction term).
    assert math.isclose(float(region_mean_loss(real.flip(-2), real, onehot)), 0.0, abs_tol=1e-6)
    # The blood pool 0.4 brighter: mean over the two present regions (the absent ones do not dilute it).
    brighter = real.clone()
    brighter[..., 2:] += 0.4
    assert math.isclose(float(region_mean_loss(brighter, real, onehot)), 0.2, rel_tol=1e-5)


def test_one_epoch_updates_generator_and_discriminator():
    torch.manual_seed(0)
    g = SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8)
    d = ConditionalDiscriminator(image_size=64, channels=8)
    gen = torch.Generator().manual_seed(1)
    batches = [
        {"image": torch.rand(2, 2, 64, 64, generator=gen), "label": torch.randint(0, 4, (2, 2, 64, 64), generator=gen)}
        for _ in range(2)
    ]
    g0 = [p.detach().clone() for p in g.parameters()]
    d0 = [p.detach().clone() for p in d.parameters()]
    trainer = ConditionalGANTrainer(
        "cpu",
        1,
        batches,
        g,
        d,
        torch.optim.Adam(g.parameters(), 1e-4, betas=(0.0, 0.9)),
        torch.optim.Adam(d.parameters(), 4e-4, betas=(0.0, 0.9)),
    )
    trainer.run()
    out = trainer.state.output
    assert trainer.state.iteration == 2
    assert all(math.isfinite(out[k]) for k in ("g_loss", "d_loss", "adv_loss", "fm_loss"))
    assert out["g_loss"] == out["adv_loss"] + 10.0 * out["fm_loss"] or math.isclose(
        out["g_loss"], out["adv_loss"] + 10.0 * out["fm_loss"], rel_tol=1e-5
    )
    assert out["pred"].shape == (2, 2, 64, 64) and not out["pred"].requires_grad
    assert any(not torch.equal(a, b) for a, b in zip(g0, g.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(d0, d.parameters(), strict=True))


def test_region_weight_adds_the_region_term_to_the_generator_loss():
    torch.manual_seed(0)
    g = SPADEGenerator(image_size=64, channels=(32, 16), spade_hidden=8)
    d = ConditionalDiscriminator(image_size=64, channels=8)
    gen = torch.Generator().manual_seed(1)
    batch = {
        "image": torch.rand(2, 2, 64, 64, generator=gen),
        "label": torch.randint(0, 4, (2, 2, 64, 64), generator=gen),
    }
    trainer = ConditionalGANTrainer(
        "cpu",
        1,
        [batch],
        g,
        d,
        torch.optim.Adam(g.parameters(), 1e-4, betas=(0.0, 0.9)),
        torch.optim.Adam(d.parameters(), 4e-4, betas=(0.0, 0.9)),
        region_weight=5.0,
    )
    trainer.run()
    out = trainer.state.output
    assert out["region_loss"] > 0
    assert math.isclose(out["g_loss"], out["adv_loss"] + 10.0 * out["fm_loss"] + 5.0 * out["region_loss"], rel_tol=1e-5)
