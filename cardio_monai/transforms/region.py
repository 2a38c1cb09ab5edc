"""The region a background-preserving generator paints: the heart (every labelled pixel, RV included)
of all phases of a slice, dilated by a disc of ``margin_px`` pixels. Outside it a synthetic frame is the
source subject's real frame; inside it the generator draws the synthetic heart and what surrounds it.

Label maps are (..., P, H, W) integers (0 background, 1 RV, 2 myocardium, 3 LV cavity); the region is
(..., 1, H, W) float32 in {0, 1}, one map for the P phases together (the background of ED and ES then
comes from the same pixels of the source's ED and ES frames).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from monai.config import KeysCollection
from monai.transforms import MapTransform, RandomizableTransform, Transform

from cardio_monai.constants import SYN_REGION_MARGIN_PX, SYN_REGION_MARGIN_TRAIN_PX
from cardio_monai.keys import LABEL, REGION


def disc_kernel(radius_px: int) -> torch.Tensor:
    """(1, 1, 2r + 1, 2r + 1) float32: 1 inside the disc of ``radius_px`` pixels, 0 outside."""
    r = int(radius_px)
    axis = torch.arange(-r, r + 1, dtype=torch.float32)
    return ((axis[:, None] ** 2 + axis[None, :] ** 2) <= r * r + 1e-6).float()[None, None]


def heart_region(label: torch.Tensor | np.ndarray, margin_px: int, *more: torch.Tensor | np.ndarray) -> torch.Tensor:
    """The painted region of label maps (..., P, H, W): labelled pixels of any phase (and of any of
    ``more`` label maps of the same shape, e.g. the source subject's), dilated by a disc of ``margin_px``
    pixels; (..., 1, H, W) float32 in {0, 1}. Vectorised (one convolution)."""
    heart = torch.as_tensor(label) > 0
    for extra in more:
        heart = heart | (torch.as_tensor(extra) > 0)
    heart = heart.any(dim=-3, keepdim=True).float()
    lead, (h, w) = heart.shape[:-3], heart.shape[-2:]
    flat = heart.reshape(-1, 1, h, w)
    if margin_px > 0:
        kernel = disc_kernel(margin_px).to(flat.device)
        flat = (F.conv2d(flat, kernel, padding=int(margin_px)) > 0.5).float()
    return flat.reshape(*lead, 1, h, w)


class HeartRegion(Transform):
    """Array twin of :class:`HeartRegiond`: label maps (P, H, W) -> region (1, H, W) float32."""

    def __init__(self, margin_px: int = SYN_REGION_MARGIN_PX) -> None:
        self.margin_px = int(margin_px)

    def __call__(self, label: torch.Tensor | np.ndarray) -> torch.Tensor:
        return heart_region(label, self.margin_px)


class HeartRegiond(MapTransform):
    """Add ``region_key`` (1, H, W) float32: the heart of ``keys``'s label maps dilated by ``margin_px``."""

    def __init__(
        self,
        keys: KeysCollection = LABEL,
        margin_px: int = SYN_REGION_MARGIN_PX,
        region_key: str = REGION,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.region, self.region_key = HeartRegion(margin_px), region_key

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            d[self.region_key] = self.region(d[key])
        return d


class RandHeartRegiond(RandomizableTransform, MapTransform):
    """Training form of :class:`HeartRegiond`: the margin drawn uniformly from ``margin_px`` (low, high)
    pixels per item, so the generator learns to paint regions of many sizes, as the union of a source's
    real heart and a synthetic heart of another shape asks of it at synthesis."""

    def __init__(
        self,
        keys: KeysCollection = LABEL,
        margin_px: Sequence[int] = SYN_REGION_MARGIN_TRAIN_PX,
        region_key: str = REGION,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        RandomizableTransform.__init__(self, prob=1.0)
        low, high = (int(m) for m in margin_px)
        if not 0 <= low <= high:
            raise ValueError(f"margin_px={margin_px}: need 0 <= low <= high")
        self.low, self.high, self.region_key = low, high, region_key
        self._margin = low

    def randomize(self, data: object = None) -> None:
        self._margin = int(self.R.randint(self.low, self.high + 1))

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        self.randomize()
        for key in self.key_iterator(d):
            d[self.region_key] = heart_region(d[key], self._margin)
        return d
