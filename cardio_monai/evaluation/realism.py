"""How real synthetic frames are: semantic consistency (Dice of a segmenter trained on real frames, on
synthetic frames against their label maps), tissue contrast and the ED-ES change of the background.

Items are frame items of :mod:`cardio_monai.data.frames`: ``image`` (P, H, W) in [0, 1], ``label`` (P, H, W).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM
from cardio_monai.data.frames import frame_tensors
from cardio_monai.keys import IMAGE, LABEL


@torch.no_grad()
def dice_per_label(
    net: torch.nn.Module,
    items: Sequence[dict[str, Any]],
    labels: Sequence[int] = (LABEL_LV, LABEL_MYOCARDIUM),
    device: str | torch.device = "cpu",
) -> dict[int, float]:
    """Dice of the segmenter's labels against the items' label maps, pooled over all frames (one
    number per label: 2 |A n B| / (|A| + |B|) over every pixel)."""
    images, truth = frame_tensors(items)
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
    images, labels = frame_tensors(items)
    blood = images[labels == LABEL_LV]
    myo = images[labels == LABEL_MYOCARDIUM]
    if myo.numel() == 0 or blood.numel() == 0 or float(myo.mean()) == 0:
        return float("nan")
    return float(blood.mean() / myo.mean())


def background_consistency(items: Sequence[dict[str, Any]]) -> float:
    """Mean |ED - ES| over pixels that are background (label 0) in both phases, pooled over items
    with (2, H, W) frames: how much the anatomy-free surroundings change between the two phases."""
    diffs = [
        np.abs(np.asarray(i[IMAGE][0]) - np.asarray(i[IMAGE][1]))[(i[LABEL][0] == 0) & (i[LABEL][1] == 0)]
        for i in items
    ]
    return float(np.concatenate(diffs).mean())
