"""Batch preparation of MONAI's supervised engines for the SFERA regressor (normalised targets)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from monai.engines import PrepareBatch

from cardio_monai.keys import AREAS, IMAGE, MASK, SLICE_SPACING, VOLUMES
from cardio_monai.networks import SFERARegressor
from cardio_monai.volumes import MM3_PER_ML

ML_PER_MM3 = 1.0 / MM3_PER_ML


class SFERABatch(PrepareBatch):
    """``prepare_batch`` of MONAI's Supervised engines for batches of :func:`cardio_monai.data.collate_studies`.

    Returns ``(image, target, args, kwargs)``: training (``with_slices``) targets are the normalised
    (EDV, ESV) followed by the normalised per-slice ED/ES areas (B, 2 + 2 Z; NaN where unknown) and the
    network is called ``network(image, mask=mask, with_slices=True)``; validation targets are the
    normalised volumes (B, 2); ``inference`` calls the whole regressor ``network(image, slice_spacing,
    mask)`` (ml) with the reference volumes in ml (NaN when absent) as target.

    A per-slice area a (mm^2) is normalised as the volume per mm of slice spacing is: a / 1000 / span,
    span = ``target_max_ - target_min_`` (ml per mm), so the slice targets add up to the volume target
    plus ``target_min_ / span``.
    """

    def __init__(self, regressor: SFERARegressor, with_slices: bool = False, inference: bool = False):
        self.regressor = regressor
        self.with_slices = with_slices
        self.inference = inference

    def __call__(
        self, batch: Mapping[str, Any], device: str | torch.device | None = None, non_blocking: bool = False, **kw
    ) -> tuple[torch.Tensor, torch.Tensor | None, tuple, dict]:
        image = batch[IMAGE].to(device=device, non_blocking=non_blocking)
        mask = batch[MASK].to(device=device, non_blocking=non_blocking)
        spacing = batch[SLICE_SPACING].to(device=device, non_blocking=non_blocking)
        volumes = batch.get(VOLUMES)
        if volumes is None:
            volumes = torch.full((image.shape[0], 2), float("nan"))
        volumes = volumes.to(device=device, non_blocking=non_blocking)
        if self.inference:
            return image, volumes, (spacing, mask), {}
        target = self.regressor.normalise_targets(volumes, spacing)
        if not self.with_slices:
            return image, target, (), {"mask": mask}
        span = (self.regressor.target_max_ - self.regressor.target_min_).to(device)
        areas = batch[AREAS].to(device=device, non_blocking=non_blocking) * ML_PER_MM3 / span
        return image, torch.cat([target, areas.flatten(1)], 1), (), {"mask": mask, "with_slices": True}
