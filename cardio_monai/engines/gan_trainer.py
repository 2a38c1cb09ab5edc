"""Conditional GAN trainer (GauGAN): a ``monai.engines.Trainer`` whose iteration updates the
discriminator on (labels, real) against (labels, generated), then the generator, with the losses of
:mod:`cardio_monai.engines.gan_losses` (or any with their call signatures).

MONAI's ``GanTrainer`` feeds the generator latent noise and ``AdversarialTrainer`` does not condition
the discriminator on the labels nor match its features; hence this subclass, with ``GanTrainer``'s
argument names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from monai.engines import Trainer
from torch import nn
from torch.optim import Optimizer

from cardio_monai.engines.gan_losses import DiscriminatorHingeLoss, GeneratorLoss
from cardio_monai.keys import D_LOSS, G_LOSS, IMAGE, LABEL, LOSSES, PRED, REGION
from cardio_monai.networks.gaugan import labels_to_onehot


class ConditionalGANTrainer(Trainer):
    """Train a label-conditioned generator and discriminator (GauGAN).

    Batches hold ``image`` (B, P, H, W) real frames in [0, 1] and ``label`` (B, P, H, W) integer label maps
    (P phases generated together), and for a background-preserving generator ``region`` (B, 1, H, W), the
    part of the real frames it paints (the generator's ``condition`` builds its input when it has one).
    ``engine.state.output`` after an iteration: ``image``, ``label``,
    ``pred`` (generated frames, detached) and ``losses``, a dict of floats: ``g_loss``, ``d_loss`` and the
    generator's unweighted terms (``adv_loss``, ``fm_loss``, ``region_loss``, ...), for handlers
    (``monai.handlers.from_engine(["losses"], first=True)``); each loss is also a key of the output.

    Args:
        device, max_epochs, train_data_loader, epoch_length, non_blocking, train_handlers: as in
            ``monai.engines.GanTrainer``.
        g_network: one-hot labels (B, P * n_labels, H, W) -> frames (B, P, H, W).
        d_network: ``(label_onehot, image) -> (logits per scale, features per scale)``.
        g_optimizer, d_optimizer: optimisers of the two networks (TTUR: their own learning rates).
        g_loss_function: ``(fake, real, onehot, logits_fake, feats_fake, feats_real) -> (total, {name: term})``;
            default :class:`~cardio_monai.engines.gan_losses.GeneratorLoss` of ``fm_weight``,
            ``region_weight``, ``perceptual_loss`` and ``perceptual_weight``.
        d_loss_function: ``(logits_fake, logits_real) -> loss``; default the hinge of ``adversarial_loss``.
        n_labels: label values per phase.
        adversarial_loss, fm_weight, region_weight, perceptual_loss, perceptual_weight: the default losses'
            parameters (see :class:`~cardio_monai.engines.gan_losses.GeneratorLoss`).
    """

    def __init__(
        self,
        device: str | torch.device,
        max_epochs: int,
        train_data_loader: Any,
        g_network: nn.Module,
        d_network: nn.Module,
        g_optimizer: Optimizer,
        d_optimizer: Optimizer,
        n_labels: int = 4,
        g_loss_function: Callable | None = None,
        d_loss_function: Callable | None = None,
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
        self.g_network, self.d_network = g_network, d_network
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.network = g_network  # what checkpoint and export handlers look for
        self.n_labels = n_labels
        self.g_loss_function = g_loss_function or GeneratorLoss(
            adversarial_loss, fm_weight, region_weight, perceptual_loss, perceptual_weight
        )
        self.d_loss_function = d_loss_function or DiscriminatorHingeLoss(adversarial_loss)

    def _iteration(self, engine: Any, batchdata: dict[str, torch.Tensor]) -> dict[str, Any]:
        real = batchdata[IMAGE].to(engine.state.device, non_blocking=self.non_blocking).float()
        label = batchdata[LABEL].to(engine.state.device, non_blocking=self.non_blocking)
        region = batchdata.get(REGION)
        if region is not None:
            region = region.to(engine.state.device, non_blocking=self.non_blocking).float()
        onehot = labels_to_onehot(label, self.n_labels)
        self.g_network.train()
        self.d_network.train()
        # A background-preserving generator paints ``region`` of the real frames (its ``condition``).
        condition = getattr(getattr(self.g_network, "module", self.g_network), "condition", None)  # DDP-wrapped too
        fake = self.g_network(onehot if condition is None else condition(label, real, region))

        # Discriminator: real against generated (generator frozen by detach).
        self.d_optimizer.zero_grad(set_to_none=True)
        logits_fake, _ = self.d_network(onehot, fake.detach())
        logits_real, _ = self.d_network(onehot, real)
        d_loss = self.d_loss_function(logits_fake, logits_real)
        d_loss.backward()
        self.d_optimizer.step()

        # Generator: against the updated discriminator, matching its features of the real frames.
        self.g_optimizer.zero_grad(set_to_none=True)
        logits_fake, feats_fake = self.d_network(onehot, fake)
        with torch.no_grad():
            _, feats_real = self.d_network(onehot, real)
        g_loss, terms = self.g_loss_function(fake, real, onehot, logits_fake, feats_fake, feats_real)
        g_loss.backward()
        self.g_optimizer.step()

        losses = {G_LOSS: float(g_loss.detach()), D_LOSS: float(d_loss.detach())}
        losses.update({name: float(term.detach()) for name, term in terms.items()})
        return {IMAGE: real, LABEL: label, PRED: fake.detach(), LOSSES: losses, **losses}
