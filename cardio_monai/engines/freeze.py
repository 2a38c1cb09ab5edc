"""Freezing part of a network for the first epochs of a training run (finetuning a pretrained encoder:
the new task's sequence model and head settle before the pretrained features move)."""

from __future__ import annotations

import torch
from ignite.engine import Engine
from monai.engines.utils import IterationEvents


class FreezeForEpochs:
    """Ignite handler of a MONAI ``SupervisedTrainer``: during the first ``epochs`` epochs of the run,
    ``module``'s gradients are dropped after every backward pass (``BACKWARD_COMPLETED``, before the
    optimiser's step), so Adam-type optimisers leave those weights and their moments alone; from epoch
    ``epochs + 1`` on they train. Decided from the engine's epoch, so a resumed run freezes exactly as an
    uninterrupted one; ``requires_grad`` is never touched. Under DistributedDataParallel it must run on
    every rank; the SFERA bundle's ``multi_gpu_train.json`` keeps only its first two handlers on the other
    ranks, so ``freeze_encoder_epochs`` is for single-process finetuning for now. ``epochs`` 0: never frozen.

    Batch-norm running statistics of the module still update in training mode (only the weights freeze).
    """

    def __init__(self, module: torch.nn.Module, epochs: int = 0):
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        self.module = module
        self.epochs = int(epochs)

    def attach(self, engine: Engine) -> None:
        if self.epochs:
            engine.add_event_handler(IterationEvents.BACKWARD_COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        if engine.state.epoch <= self.epochs:
            for p in self.module.parameters():
                p.grad = None
