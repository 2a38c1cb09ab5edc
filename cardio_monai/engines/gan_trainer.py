"""Conditional GAN trainer (GauGAN): a ``monai.engines.Trainer`` whose iteration updates the
discriminator on (labels, real) against (labels, generated) with the hinge loss, then the generator
with the adversarial loss, discriminator feature matching and an optional perceptual term.

MONAI's ``GanTrainer`` feeds the generator latent noise and ``AdversarialTrainer`` does not condition
the discriminator on the labels nor match its features; hence this subclass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from monai.engines import Trainer
from monai.losses import PatchAdversarialLoss
from torch import nn
from torch.optim import Optimizer

from cardio_monai.networks.gaugan import labels_to_onehot

IMAGE, LABEL, PRED = "image", "label", "pred"
G_LOSS, D_LOSS, ADV_LOSS, FM_LOSS, PERCEPTUAL_LOSS = "g_loss", "d_loss", "adv_loss", "fm_loss", "perceptual_loss"
REGION_LOSS = "region_loss"


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


class ConditionalGANTrainer(Trainer):
    """Train a label-conditioned generator and discriminator (GauGAN).

    Batches hold ``image`` (B, P, H, W) real frames in [0, 1] and ``label`` (B, P, H, W) integer label maps
    (P phases generated together). ``engine.state.output`` after an iteration: ``image``, ``label``,
    ``pred`` (generated frames, detached) and the losses ``g_loss``, ``d_loss``, ``adv_loss``, ``fm_loss``
    (and ``region_loss``, ``perceptual_loss`` when on) as floats, for handlers (TensorBoard scalars and
    image grids, stats).

    Args:
        device, max_epochs, train_data_loader: as in ``monai.engines.Trainer``.
        generator: one-hot labels (B, P * n_labels, H, W) -> frames (B, P, H, W).
        discriminator: ``(label_onehot, image) -> (logits per scale, features per scale)``.
        g_optimizer, d_optimizer: optimisers of the two networks (TTUR: their own learning rates).
        n_labels: label values per phase.
        adversarial_loss: default hinge ``PatchAdversarialLoss``.
        fm_weight: weight of discriminator feature matching (GauGAN: 10).
        region_weight: weight of ``region_mean_loss`` (0: off, GauGAN's losses only); it holds the tissue
            contrast (blood pool / myocardium) to the real frames'.
        perceptual_loss: optional ``(pred, real) -> loss`` (e.g. MONAI ``PerceptualLoss`` loaded from a local
            file); never downloaded.
        perceptual_weight: its weight.
        train_handlers: ignite / MONAI handlers.
    """

    def __init__(
        self,
        device: str | torch.device,
        max_epochs: int,
        train_data_loader: Any,
        generator: nn.Module,
        discriminator: nn.Module,
        g_optimizer: Optimizer,
        d_optimizer: Optimizer,
        n_labels: int = 4,
        adversarial_loss: Callable | None = None,
        fm_weight: float = 10.0,
        region_weight: float = 0.0,
        perceptual_loss: Callable | None = None,
        perceptual_weight: float = 1.0,
        epoch_length: int | None = None,
        train_handlers: Sequence | None = None,
        non_blocking: bool = False,
    ):
        super().__init__(
            device=device,
            max_epochs=max_epochs,
            data_loader=train_data_loader,
            epoch_length=epoch_length,
            non_blocking=non_blocking,
            handlers=train_handlers,
            decollate=False,
        )
        self.generator = generator
        self.discriminator = discriminator
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.network = generator  # what checkpoint and export handlers look for
        self.n_labels = n_labels
        self.adversarial_loss = adversarial_loss or PatchAdversarialLoss(criterion="hinge")
        self.fm_weight = fm_weight
        self.region_weight = region_weight
        self.perceptual_loss = perceptual_loss
        self.perceptual_weight = perceptual_weight

    def _iteration(self, engine: Any, batchdata: dict[str, torch.Tensor]) -> dict[str, Any]:
        real = batchdata[IMAGE].to(engine.state.device, non_blocking=self.non_blocking).float()
        label = batchdata[LABEL].to(engine.state.device, non_blocking=self.non_blocking)
        onehot = labels_to_onehot(label, self.n_labels)
        self.generator.train()
        self.discriminator.train()
        fake = self.generator(onehot)

        # Discriminator: hinge on real and generated (generator frozen by detach).
        self.d_optimizer.zero_grad(set_to_none=True)
        logits_fake, _ = self.discriminator(onehot, fake.detach())
        logits_real, _ = self.discriminator(onehot, real)
        d_loss = 0.5 * (
            self.adversarial_loss(logits_fake, target_is_real=False, for_discriminator=True)
            + self.adversarial_loss(logits_real, target_is_real=True, for_discriminator=True)
        )
        d_loss.backward()
        self.d_optimizer.step()

        # Generator: fool the updated discriminator and match its features of the real frames.
        self.g_optimizer.zero_grad(set_to_none=True)
        logits_fake, feats_fake = self.discriminator(onehot, fake)
        with torch.no_grad():
            _, feats_real = self.discriminator(onehot, real)
        adv = self.adversarial_loss(logits_fake, target_is_real=True, for_discriminator=False)
        fm = feature_matching_loss(feats_fake, feats_real)
        g_loss = adv + self.fm_weight * fm
        out = {}
        if self.region_weight:
            region = region_mean_loss(fake, real, onehot)
            g_loss = g_loss + self.region_weight * region
            out[REGION_LOSS] = float(region.detach())
        if self.perceptual_loss is not None:
            perceptual = self.perceptual_loss(fake, real)
            g_loss = g_loss + self.perceptual_weight * perceptual
            out[PERCEPTUAL_LOSS] = float(perceptual.detach())
        g_loss.backward()
        self.g_optimizer.step()

        out.update(
            {
                IMAGE: real,
                LABEL: label,
                PRED: fake.detach(),
                G_LOSS: float(g_loss.detach()),
                D_LOSS: float(d_loss.detach()),
                ADV_LOSS: float(adv.detach()),
                FM_LOSS: float(fm.detach()),
            }
        )
        return out
