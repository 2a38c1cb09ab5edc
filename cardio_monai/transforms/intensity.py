"""Quantile intensity normalisation of the paper: [3 %, 97 %] -> [0, 1], clipped."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform, ScaleIntensityRangePercentiles, Transform

from cardio_monai.constants import QUANTILE_HIGH_PCT, QUANTILE_LOW_PCT


class QuantileNormalise(Transform):
    """Map the ``lower``/``upper`` percentiles of the whole array (all channels together, so ED and
    ES keep their relative brightness) to 0 and 1 and clip. Any shape; returns the input's type."""

    def __init__(self, lower: float = QUANTILE_LOW_PCT, upper: float = QUANTILE_HIGH_PCT):
        self.scale = ScaleIntensityRangePercentiles(lower=lower, upper=upper, b_min=0.0, b_max=1.0, clip=True)

    def __call__(self, img: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        out = self.scale(img)
        if isinstance(img, np.ndarray):
            return np.asarray(out, dtype=np.float32)
        return out.float()


class QuantileNormalised(MapTransform):
    """Dictionary twin of :class:`QuantileNormalise`."""

    def __init__(
        self,
        keys: KeysCollection,
        lower: float = QUANTILE_LOW_PCT,
        upper: float = QUANTILE_HIGH_PCT,
        allow_missing_keys: bool = False,
    ):
        super().__init__(keys, allow_missing_keys)
        self.normalise = QuantileNormalise(lower, upper)

    def __call__(self, data: Mapping) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.normalise(d[key])
        return d
