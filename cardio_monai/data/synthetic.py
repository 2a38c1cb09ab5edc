"""Datalists of a synthetic cohort (a ``synthesize-images`` manifest), shared by the workflows that train on
one: SFERA's pretraining (``sso.json``) and the segmentation reader's synthetic frames (``synthetic.json``).

A synthetic subject is a variant of one real source subject (``source_subject`` of the manifest); its
variants are near copies of each other, so a validation part that shares sources with the training part
measures memory, not generalisation: :func:`source_split` keeps every source's variants on one side, and
:func:`draw_by_source` spreads a small draw over as many sources as it can.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cardio_monai.columns import SOURCE_SUBJECT
from cardio_monai.data.studies import study_datalist
from cardio_monai.errors import InputError
from cardio_monai.io.manifest import read_manifest_rows
from cardio_monai.keys import GROUP, SUBJECT


def source_datalist(manifest: str | Path) -> list[dict[str, Any]]:
    """One item per subject of a synthetic manifest (``synthesize-images`` output), with ``group`` = its
    source subject (the unit of :func:`source_split`).

    Raises:
        InputError: the manifest has no ``source_subject`` column or a row without one.
    """
    rows = read_manifest_rows(manifest)
    if SOURCE_SUBJECT not in rows[0]:
        raise InputError(manifest, f"no {SOURCE_SUBJECT!r} column: not a synthetic cohort manifest")
    sources = {}
    for n, row in enumerate(rows, 2):
        if not row[SOURCE_SUBJECT]:
            raise InputError(manifest, f"line {n}: empty {SOURCE_SUBJECT}")
        sources[row[SUBJECT]] = row[SOURCE_SUBJECT]
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


def draw_by_source(items: Sequence[dict[str, Any]], n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` items (all of them if fewer) drawn with ``seed`` so that the sources (``group``) take turns: every
    source gives one variant before any gives a second, the sources' order and each source's variants shuffled.
    The result is in the order drawn."""
    if n < 0:
        raise ValueError(f"n={n}: must be >= 0")
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_source.setdefault(item[GROUP], []).append(item)
    queues = [[group[k] for k in rng.permutation(len(group))] for _, group in sorted(by_source.items())]
    queues = [queues[k] for k in rng.permutation(len(queues))]
    drawn: list[dict[str, Any]] = []
    for turn in range(max((len(q) for q in queues), default=0)):
        drawn.extend(q[turn] for q in queues if turn < len(q))
        if len(drawn) >= n:
            break
    return drawn[:n]
