"""Exponential moving average of a network's weights during training (the generator of a GAN), as an
ignite handler: GAN weights swing from step to step; their average is the steadier generator to ship."""

from __future__ import annotations

from pathlib import Path

import torch
from ignite.engine import Engine, Events
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from cardio_monai.utils import atomic_path


class WeightEMA:
    """Keep ``average`` = EMA of ``network``'s parameters and buffers, updated after every iteration
    (``decay`` per step), and save its state dict (the network's own keys, loadable into the same
    architecture with ``weights_only=True``) to ``save_path`` after every epoch and at the end.

    The average starts from the weights at the first update. ``average`` (an ``AveragedModel``, with its
    count of updates) is an entry of the GauGAN bundle's resume checkpoint, so a resumed run continues it.
    """

    def __init__(self, network: torch.nn.Module, decay: float = 0.999, save_path: str | Path | None = None):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay={decay}: must be in (0, 1)")
        self.network = network
        self.decay = decay
        self.save_path = None if save_path is None else Path(save_path)
        self.average = AveragedModel(network, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.update)
        if self.save_path is not None:
            engine.add_event_handler(Events.EPOCH_COMPLETED, self.save)
            engine.add_event_handler(Events.COMPLETED, self.save)

    def update(self, engine: Engine | None = None) -> None:
        self.average.update_parameters(self.network)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The averaged weights under the network's own keys."""
        return self.average.module.state_dict()

    def save(self, engine: Engine | None = None) -> None:
        assert self.save_path is not None
        self.save_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.save_path) as tmp:
            torch.save(self.state_dict(), tmp)
