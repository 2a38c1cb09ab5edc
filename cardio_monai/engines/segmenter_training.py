"""Training the segmenter (a plain MONAI 2D UNet) on real labelled frames: the independent reader that
judges synthetic frames and the segmentation baseline SFERA is compared with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from monai.losses import DiceCELoss

from cardio_monai.data.frames import frame_tensors
from cardio_monai.networks.segmenter import make_segmenter


def train_segmenter(
    items: Sequence[dict[str, Any]],
    epochs: int = 10,
    batch: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    device: str | torch.device = "cpu",
    network: torch.nn.Module | None = None,
) -> torch.nn.Module:
    """Train the segmenter on real frames (DiceCE, Adam, random flips); returns it in eval mode.

    Args:
        items: frame items with ``image`` (P, H, W) in [0, 1] and ``label`` (P, H, W) (:mod:`cardio_monai.data.frames`).
        epochs: passes over the frames.
        batch: frames per step.
        lr: Adam's learning rate.
        seed: seeds the initial weights, the order and the flips.
        device: where it trains.
        network: the network to train (default :func:`cardio_monai.networks.segmenter.make_segmenter`).
    """
    torch.manual_seed(seed)
    net = (network or make_segmenter()).to(device)
    images, labels = frame_tensors(items)
    loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
    opt = torch.optim.Adam(net.parameters(), lr)
    g = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=g)
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            x, y = images[idx], labels[idx]
            if torch.rand(1, generator=g).item() < 0.5:
                x, y = x.flip(-1), y.flip(-1)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x.to(device)), y.to(device))
            loss.backward()
            opt.step()
    return net.eval()
