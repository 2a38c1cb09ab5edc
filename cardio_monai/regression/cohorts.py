"""Datalists of the synthetic-pretraining experiment: a synthetic cohort split by source subject, a real
training set made imbalanced like the paper's data, and the resume checkpoint of a long run.

A synthetic subject is a variant of one real source subject (``source_subject`` of the
``synthesize-images`` manifest); its variants are near copies of each other, so a validation part
that shares sources with the training part measures memory, not generalisation: :func:`source_split`
keeps every source's variants on one side.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cardio_monai.data import study_datalist
from cardio_monai.errors import InputError
from cardio_monai.io.manifest import read_manifest_rows
from cardio_monai.keys import GROUP, STUDY, SUBJECT
from cardio_monai.measure import record_volumes

SOURCE_COLUMN = "source_subject"
LOW_EF_PCT = 40.0


def source_datalist(manifest: str | Path) -> list[dict[str, Any]]:
    """One item per subject of a synthetic manifest (``synthesize-images`` output), with ``group`` = its
    source subject (the unit of :func:`source_split`).

    Raises:
        InputError: the manifest has no ``source_subject`` column or a row without one.
    """
    rows = read_manifest_rows(manifest)
    if SOURCE_COLUMN not in rows[0]:
        raise InputError(manifest, f"no {SOURCE_COLUMN!r} column: not a synthetic cohort manifest")
    sources = {}
    for n, row in enumerate(rows, 2):
        if not row[SOURCE_COLUMN]:
            raise InputError(manifest, f"line {n}: empty {SOURCE_COLUMN}")
        sources[row["subject"]] = row[SOURCE_COLUMN]
    items = study_datalist(manifest, with_groups=False)
    for item in items:
        item[GROUP] = sources[item[SUBJECT]]
    return items


def source_split(
    items: Sequence[dict[str, Any]], val_fraction: float = 0.1, seed: int = 0
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, validation) items with whole groups (source subjects) on each side: ``val_fraction`` of the
    groups, drawn with ``seed``, at least one, validate; the rest train."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction={val_fraction}: must be in (0, 1)")
    groups = sorted({i[GROUP] for i in items})
    if len(groups) < 2:
        raise ValueError(f"{len(groups)} source group(s): a split by source needs at least 2")
    n_val = min(len(groups) - 1, max(1, round(val_fraction * len(groups))))
    rng = np.random.default_rng(seed)
    val_groups = {groups[k] for k in rng.choice(len(groups), size=n_val, replace=False)}
    train = [i for i in items if i[GROUP] not in val_groups]
    val = [i for i in items if i[GROUP] in val_groups]
    return train, val


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
