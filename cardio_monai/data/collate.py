"""Batches of short-axis stacks of different slice counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from cardio_monai.keys import AREAS, GROUP, IMAGE, MASK, SLICE_SPACING, SUBJECT, VOLUMES, WARNING


def collate_studies(batch: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Stack studies of different slice counts: ``image`` (B, 2, Zmax, S, S) zero-padded, ``mask`` (B, Zmax)
    bool, ``slice_spacing`` (B,) mm, ``volumes`` (B, 2) ml, ``areas`` (B, Zmax, 2) mm^2 NaN-padded, and the
    ``subject``, ``warning`` and ``group`` lists."""
    zmax = max(int(item[IMAGE].shape[1]) for item in batch)
    b = len(batch)
    c, _, h, w = batch[0][IMAGE].shape
    image = torch.zeros((b, c, zmax, h, w), dtype=torch.float32)
    mask = torch.zeros((b, zmax), dtype=torch.bool)
    for i, item in enumerate(batch):
        z = int(item[IMAGE].shape[1])
        image[i, :, :z] = torch.as_tensor(item[IMAGE], dtype=torch.float32)
        mask[i, :z] = True
    out: dict[str, Any] = {
        IMAGE: image,
        MASK: mask,
        SLICE_SPACING: torch.tensor([float(item[SLICE_SPACING]) for item in batch], dtype=torch.float32),
        SUBJECT: [item[SUBJECT] for item in batch],
        WARNING: [item.get(WARNING, "") for item in batch],
        GROUP: [item.get(GROUP, "") for item in batch],
    }
    if all(VOLUMES in item for item in batch):
        out[VOLUMES] = torch.stack([torch.as_tensor(item[VOLUMES], dtype=torch.float32) for item in batch])
        areas = torch.full((b, zmax, 2), float("nan"))
        for i, item in enumerate(batch):
            areas[i, : item[AREAS].shape[0]] = torch.as_tensor(item[AREAS], dtype=torch.float32)
        out[AREAS] = areas
    return out
