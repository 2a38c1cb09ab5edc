"""The real training set of the synthetic-pretraining experiment made imbalanced like the paper's data
(setting (b)); the synthetic cohort's datalists are :mod:`cardio_monai.data.synthetic`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cardio_monai.keys import STUDY
from cardio_monai.measure import record_volumes

LOW_EF_PCT = 40.0


def study_ef_pct(items: Sequence[dict[str, Any]]) -> np.ndarray:
    """Reference EF (%) of each item's study, from its label maps or manifest volumes (N,)."""
    return np.array([record_volumes(i[STUDY].read(with_labels=True))["EF_pct"] for i in items], dtype=np.float64)


def imbalanced_subset(
    items: Sequence[dict[str, Any]],
    low_ef_fraction: float = 0.06,
    seed: int = 0,
    ef_pct: Sequence[float] | None = None,
) -> list[dict[str, Any]]:
    """The paper's imbalance on a real training set: every study with EF >= 40 % is kept and EF < 40 %
    studies are drawn (``seed``) until they are ``low_ef_fraction`` of the result (rounded, at least one).
    ``ef_pct`` (N,) spares reading the label maps; the order of ``items`` is kept."""
    if not 0.0 < low_ef_fraction < 1.0:
        raise ValueError(f"low_ef_fraction={low_ef_fraction}: must be in (0, 1)")
    ef = study_ef_pct(items) if ef_pct is None else np.asarray(ef_pct, dtype=np.float64)
    low = np.flatnonzero(ef < LOW_EF_PCT)
    n_high = len(items) - len(low)
    n_low = min(len(low), max(1, round(low_ef_fraction * n_high / (1.0 - low_ef_fraction))))
    keep_low = set(np.random.default_rng(seed).choice(low, size=n_low, replace=False).tolist()) if n_low else set()
    return [item for k, item in enumerate(items) if ef[k] >= LOW_EF_PCT or k in keep_low]
