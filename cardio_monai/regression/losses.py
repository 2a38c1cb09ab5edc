"""The regressor's training loss."""

from __future__ import annotations

import torch
from torch import nn


class VolumeSliceLoss(nn.Module):
    """RMSE of the normalised volumes (the paper's loss) + ``slice_weight`` x RMSE of the per-slice outputs
    over the slices whose targets are known (finite). Inputs as :class:`SFERABatch` makes them:
    (B, n_volumes [+ Z * slice_channels]); without slice columns it is the plain RMSE."""

    def __init__(self, n_volumes: int = 2, slice_weight: float = 1.0):
        super().__init__()
        self.n_volumes = n_volumes
        self.slice_weight = slice_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        n = self.n_volumes
        loss = torch.sqrt(torch.mean((pred[:, :n] - target[:, :n]) ** 2) + 1e-12)
        if self.slice_weight and target.shape[1] > n:
            known = torch.isfinite(target[:, n:])
            if bool(known.any()):
                diff = (pred[:, n:] - torch.nan_to_num(target[:, n:]))[known]
                loss = loss + self.slice_weight * torch.sqrt(torch.mean(diff**2) + 1e-12)
        return loss
