"""The regressor's target range and the sequence features its Bayesian ridge head is fitted on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from cardio_monai.data import collate_studies
from cardio_monai.keys import IMAGE, MASK, SLICE_SPACING, VOLUMES
from cardio_monai.networks import SFERARegressor


def fit_target_range(regressor: SFERARegressor, dataset: Sequence[Mapping[str, Any]]) -> SFERARegressor:
    """Set the regressor's target range (and trained slice-spacing range) from a dataset of items with
    ``volumes`` (ml) and ``slice_spacing`` (mm); returns the regressor."""
    volumes = np.stack([np.asarray(item[VOLUMES], dtype=np.float64) for item in dataset])
    spacing = np.array([float(item[SLICE_SPACING]) for item in dataset])
    return regressor.fit_target_range(volumes, spacing)


@torch.no_grad()
def sequence_features(
    regressor: SFERARegressor, dataset: Sequence[Mapping[str, Any]], device: str | torch.device = "cpu", batch: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SFERA's sequence features (N, F) in eval mode, reference volumes (N, 2) ml and spacing (N,) mm."""
    regressor.eval()
    feats, vols, spacing = [], [], []
    for start in range(0, len(dataset), batch):
        b = collate_studies([dataset[i] for i in range(start, min(start + batch, len(dataset)))])
        feats.append(regressor.network.features(b[IMAGE].to(device), b[MASK].to(device)).cpu().numpy())
        vols.append(b[VOLUMES].numpy())
        spacing.append(b[SLICE_SPACING].numpy())
    return np.concatenate(feats), np.concatenate(vols), np.concatenate(spacing)
