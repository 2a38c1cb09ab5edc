"""The segmenter's training loss: MONAI's DiceCE plus, optionally, a term on the LV cavity's area, the
quantity the volumes are summed from."""

from __future__ import annotations

from typing import Any

import torch
from monai.losses import DiceCELoss
from torch import nn

from cardio_monai.constants import LABEL_LV


def cavity_area_error(logits: torch.Tensor, target: torch.Tensor, label: int = LABEL_LV) -> torch.Tensor:
    """Relative L1 error of the soft cavity area over a batch: sum_i |A_pred_i - A_ref_i| / sum_i A_ref_i.

    ``A_pred_i`` is frame i's summed softmax probability of ``label`` (px), ``A_ref_i`` its reference pixel
    count. Absolute per-frame errors, normalised by the batch's reference area, so a pixel of false cavity on
    a small ES frame weighs what it weighs in the volume (ml): the same as one on a large ED frame.

    Args:
        logits: (B, C, H, W) network outputs.
        target: (B, 1, H, W) integer label map.
        label: the cavity's label (3 in ACDC's convention).
    Returns:
        a scalar tensor (0 when every frame's soft area equals its reference).
    """
    soft = torch.softmax(logits, dim=1)[:, label].sum(dim=(-2, -1))
    ref = (target[:, 0] == label).sum(dim=(-2, -1)).to(soft.dtype)
    return (soft - ref).abs().sum() / ref.sum().clamp_min(1.0)


class CavityAreaDiceCELoss(nn.Module):
    """``DiceCELoss(**kwargs) + area_weight * cavity_area_error``. With ``area_weight`` 0 it is DiceCE exactly
    (the area term is not computed). Inputs: logits (B, C, H, W), target (B, 1, H, W).

    Args:
        area_weight: weight of :func:`cavity_area_error` (0 = off).
        label: the cavity's label.
        kwargs: passed to :class:`monai.losses.DiceCELoss` (e.g. ``to_onehot_y``, ``softmax``).
    """

    def __init__(self, area_weight: float = 0.0, label: int = LABEL_LV, **kwargs: Any):
        super().__init__()
        if area_weight < 0:
            raise ValueError(f"area_weight must be >= 0, got {area_weight}")
        self.dice_ce = DiceCELoss(**kwargs)
        self.area_weight = float(area_weight)
        self.label = label

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = self.dice_ce(logits, target)
        if self.area_weight:
            loss = loss + self.area_weight * cavity_area_error(logits, target, self.label)
        return loss
