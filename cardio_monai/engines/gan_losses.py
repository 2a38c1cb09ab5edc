"""The GauGAN losses: the discriminator's hinge on real and generated frames, and the generator's terms
(adversarial, discriminator feature matching, region-mean intensity, an optional perceptual term).

Frames are (B, P, H, W) in [0, 1]; one-hot label maps (B, P * L, H, W), L labels per phase; the
discriminator returns (logits per scale, features per scale), as MONAI's ``MultiScalePatchDiscriminator``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from monai.losses import PatchAdversarialLoss

ADV_LOSS, FM_LOSS, REGION_LOSS, PERCEPTUAL_LOSS = "adv_loss", "fm_loss", "region_loss", "perceptual_loss"


def feature_matching_loss(
    fake: Sequence[Sequence[torch.Tensor]], real: Sequence[Sequence[torch.Tensor]]
) -> torch.Tensor:
    """Mean L1 distance between the discriminator's intermediate features of generated and real inputs,
    averaged over scales and layers (MONAI's discriminators return the features before the logits)."""
    terms = [
        torch.mean(torch.abs(f - r.detach()))
        for fs, rs in zip(fake, real, strict=True)
        for f, r in zip(fs, rs, strict=True)
    ]
    return torch.stack(terms).mean()


def region_mean_loss(fake: torch.Tensor, real: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
    """Mean L1 distance between the mean intensities of generated and real frames inside each label
    region of each frame (regions absent from a frame are left out).

    ``fake``, ``real``: frames (B, P, H, W); ``onehot``: their label maps (B, P * L, H, W), L labels per
    phase. Intensities are compared region by region, so the term pulls the generated blood pool,
    myocardium and background towards the real tissue contrast without asking for pixel-wise agreement.
    """
    b, p = fake.shape[:2]
    masks = onehot.reshape(b, p, -1, *onehot.shape[-2:]).float()  # (B, P, L, H, W)
    area = masks.sum((-2, -1))
    present = area > 0
    area = area.clamp(min=1.0)
    mean_fake = (masks * fake[:, :, None]).sum((-2, -1)) / area
    mean_real = (masks * real[:, :, None]).sum((-2, -1)) / area
    return torch.abs(mean_fake - mean_real)[present].mean()


class DiscriminatorHingeLoss:
    """``(logits_fake, logits_real) -> loss``: the mean of the adversarial loss of generated frames as fake
    and of real frames as real (default hinge ``PatchAdversarialLoss``)."""

    def __init__(self, adversarial_loss: Callable | None = None):
        self.adversarial_loss = adversarial_loss or PatchAdversarialLoss(criterion="hinge")

    def __call__(self, logits_fake: Sequence[torch.Tensor], logits_real: Sequence[torch.Tensor]) -> torch.Tensor:
        return 0.5 * (
            self.adversarial_loss(logits_fake, target_is_real=False, for_discriminator=True)
            + self.adversarial_loss(logits_real, target_is_real=True, for_discriminator=True)
        )


class GeneratorLoss:
    """``(fake, real, onehot, logits_fake, feats_fake, feats_real) -> (total, {name: term})``: the
    generator's total loss, adversarial + ``fm_weight`` x feature matching (+ ``region_weight`` x
    :func:`region_mean_loss`, + ``perceptual_weight`` x ``perceptual_loss``, when on), and each term
    unweighted under its name (``adv_loss``, ``fm_loss``, ``region_loss``, ``perceptual_loss``).

    Args:
        adversarial_loss: default hinge ``PatchAdversarialLoss``.
        fm_weight: weight of discriminator feature matching (GauGAN: 10).
        region_weight: weight of the region-mean term (0: off, GauGAN's losses only); it holds the tissue
            contrast (blood pool / myocardium) to the real frames'.
        perceptual_loss: optional ``(pred, real) -> loss`` (e.g. MONAI ``PerceptualLoss`` loaded from a local
            file); never downloaded.
        perceptual_weight: its weight.
    """

    def __init__(
        self,
        adversarial_loss: Callable | None = None,
        fm_weight: float = 10.0,
        region_weight: float = 0.0,
        perceptual_loss: Callable | None = None,
        perceptual_weight: float = 1.0,
    ):
        self.adversarial_loss = adversarial_loss or PatchAdversarialLoss(criterion="hinge")
        self.fm_weight, self.region_weight = fm_weight, region_weight
        self.perceptual_loss, self.perceptual_weight = perceptual_loss, perceptual_weight

    def __call__(
        self,
        fake: torch.Tensor,
        real: torch.Tensor,
        onehot: torch.Tensor,
        logits_fake: Sequence[torch.Tensor],
        feats_fake: Sequence[Sequence[torch.Tensor]],
        feats_real: Sequence[Sequence[torch.Tensor]],
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        adv = self.adversarial_loss(logits_fake, target_is_real=True, for_discriminator=False)
        fm = feature_matching_loss(feats_fake, feats_real)
        total = adv + self.fm_weight * fm
        terms = {ADV_LOSS: adv, FM_LOSS: fm}
        if self.region_weight:
            terms[REGION_LOSS] = region_mean_loss(fake, real, onehot)
            total = total + self.region_weight * terms[REGION_LOSS]
        if self.perceptual_loss is not None:
            terms[PERCEPTUAL_LOSS] = self.perceptual_loss(fake, real)
            total = total + self.perceptual_weight * terms[PERCEPTUAL_LOSS]
        return total, terms
