"""How real synthetic frames are: semantic consistency (Dice of a segmenter trained on real frames, on
synthetic frames against their label maps), tissue contrast, the ED-ES change of the background and the
texture of the frames' corners.

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

CORNER_SD_TOLERANCE = 1.5  # a corner passes when its SD ratio (synthetic / real) is within [1/1.5, 1.5]
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


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


def corner_sd(
    real: Sequence[dict[str, Any]],
    synthetic: Sequence[dict[str, Any]],
    patch: int = 12,
    tolerance: float = CORNER_SD_TOLERANCE,
) -> dict[str, Any]:
    """Texture of the frames' corners, far from the heart: for each corner of the full (S, S) frames, a
    ``patch`` x ``patch`` px square, the SD of the intensities within it per frame (every phase a frame),
    averaged over frames, of ``synthetic`` over that of ``real`` (``ratio``; both SDs in ``real`` and
    ``synthetic``, in the frames' [0, 1] units). ``passed``: every ratio within [1 / ``tolerance``,
    ``tolerance``]."""

    def mean_sd(items: Sequence[dict[str, Any]]) -> np.ndarray:
        images = np.concatenate([np.asarray(i[IMAGE], dtype=np.float32) for i in items])
        rows, cols = (slice(0, patch), slice(-patch, None)), (slice(0, patch), slice(-patch, None))
        return np.array([images[:, r, c].std(axis=(1, 2)).mean() for r in rows for c in cols])

    sd_real, sd_syn = mean_sd(real), mean_sd(synthetic)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = sd_syn / sd_real
    return {
        "patch_px": patch,
        "real": dict(zip(CORNERS, sd_real.round(6).tolist(), strict=True)),
        "synthetic": dict(zip(CORNERS, sd_syn.round(6).tolist(), strict=True)),
        "ratio": dict(zip(CORNERS, ratio.round(4).tolist(), strict=True)),
        "tolerance": tolerance,
        "passed": bool(np.all((ratio >= 1.0 / tolerance) & (ratio <= tolerance))),
    }
