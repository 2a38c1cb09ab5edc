"""How real synthetic frames are: semantic consistency (a segmenter trained on real frames, Dice on
synthetic frames against their label maps) and contrast (LV blood pool / myocardium mean intensity).

The segmenter is a plain MONAI 2D UNet, trained here on real ACDC frames of the training split; it
is also the independent reader later experiments compare against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from monai.losses import DiceCELoss
from monai.networks.nets import UNet

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM, LABEL_VALUES


def make_segmenter(channels: Sequence[int] = (16, 32, 64, 128), num_res_units: int = 2) -> UNet:
    """MONAI 2D UNet: one frame (B, 1, H, W) in [0, 1] -> logits of the 4 labels (B, 4, H, W);
    H and W multiples of ``2 ** (len(channels) - 1)``."""
    return UNet(
        2,
        1,
        len(LABEL_VALUES),
        channels=tuple(channels),
        strides=(2,) * (len(channels) - 1),
        num_res_units=num_res_units,
    )


def _frames(items: Sequence[dict[str, Any]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Items with ``image`` and ``label`` (P, H, W) -> frames (N, 1, H, W) and labels (N, 1, H, W), phases split."""
    images = np.concatenate([np.asarray(i["image"], dtype=np.float32) for i in items])
    labels = np.concatenate([np.asarray(i["label"], dtype=np.int64) for i in items])
    return torch.as_tensor(images)[:, None], torch.as_tensor(labels)[:, None]


def train_segmenter(
    items: Sequence[dict[str, Any]],
    epochs: int = 10,
    batch: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    device: str | torch.device = "cpu",
    network: torch.nn.Module | None = None,
) -> torch.nn.Module:
    """Train the segmenter on real frames (DiceCE, Adam, random flips); returns it in eval mode."""
    torch.manual_seed(seed)
    net = (network or make_segmenter()).to(device)
    images, labels = _frames(items)
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


@torch.no_grad()
def dice_per_label(
    net: torch.nn.Module,
    items: Sequence[dict[str, Any]],
    labels: Sequence[int] = (LABEL_LV, LABEL_MYOCARDIUM),
    device: str | torch.device = "cpu",
) -> dict[int, float]:
    """Dice of the segmenter's labels against the items' label maps, pooled over all frames (one
    number per label: 2 |A n B| / (|A| + |B|) over every pixel)."""
    images, truth = _frames(items)
    pred = torch.cat(
        [net(images[i : i + 32].to(device)).argmax(1, keepdim=True).cpu() for i in range(0, len(images), 32)]
    )
    out = {}
    for lab in labels:
        a, b = pred == lab, truth == lab
        denom = int(a.sum() + b.sum())
        out[int(lab)] = float(2 * (a & b).sum()) / denom if denom else float("nan")
    return out


def contrast_ratio(items: Sequence[dict[str, Any]]) -> float:
    """Mean intensity of the LV blood pool (label 3) over that of the myocardium (label 2), pooled over
    all frames of ``items`` (``image`` and ``label`` (P, H, W)); NaN without myocardium."""
    images, labels = _frames(items)
    blood = images[labels == LABEL_LV]
    myo = images[labels == LABEL_MYOCARDIUM]
    if myo.numel() == 0 or blood.numel() == 0 or float(myo.mean()) == 0:
        return float("nan")
    return float(blood.mean() / myo.mean())
