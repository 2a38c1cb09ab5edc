"""Datalists of whole studies and the stratified fold split that every workflow of the package uses."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monai.data import partition_dataset_classes

from cardio_monai.io import StudySource, find_studies
from cardio_monai.keys import GROUP, STUDY, SUBJECT

DEFAULT_GROUP = "all"


def study_datalist(dataset: str | Path | Sequence[StudySource], with_groups: bool = True) -> list[dict[str, Any]]:
    """One item ``{"study": StudySource, "subject": id, "group": str}`` per study of a dataset (any INPUT
    form: DICOM, NIfTI, ACDC, Sunnybrook, manifest). ``group`` (for stratified splits) is the one the
    study source names (the ACDC pathology group), else ``"all"``; ``with_groups=False`` skips asking."""
    sources = find_studies(dataset) if isinstance(dataset, str | Path) else list(dataset)
    items = []
    for source in sources:
        group = source.group() if with_groups else None
        items.append({STUDY: source, SUBJECT: source.subject, GROUP: group or DEFAULT_GROUP})
    return items


def split_datalist(
    items: Sequence[dict], fold: int = 0, n_folds: int = 5, seed: int = 0
) -> tuple[list[dict], list[dict]]:
    """(train, validation) items of fold ``fold`` of ``n_folds``, stratified by ``group`` (MONAI's
    ``partition_dataset_classes``; deterministic for a seed). ``fold=-1``: all items train, and the
    validation set is the training set (a final fit with no model selection).

    Raises:
        ValueError: ``fold`` is neither -1 nor in [0, n_folds).
    """
    items = list(items)
    if fold == -1:
        return items, items
    if not 0 <= fold < n_folds:
        raise ValueError(f"fold={fold}: expected -1 or 0 <= fold < n_folds={n_folds}")
    parts = partition_dataset_classes(items, [i[GROUP] for i in items], num_partitions=n_folds, shuffle=True, seed=seed)
    val = parts[fold]
    val_ids = {i[SUBJECT] for i in val}
    return [i for i in items if i[SUBJECT] not in val_ids], val


def split_subjects(dataset: str | Path, fold: int = 0, n_folds: int = 5, seed: int = 0) -> tuple[list[str], list[str]]:
    """(training, held-out) subject ids of fold ``fold`` of a dataset (:func:`split_datalist`)."""
    train, held = split_datalist(study_datalist(dataset), fold, n_folds, seed)
    return [i[SUBJECT] for i in train], [i[SUBJECT] for i in held]


def link_studies(items: Sequence[dict[str, Any]], out: str | Path) -> int:
    """A dataset folder of a subset: ``OUT/<subject>`` a symbolic link to each item's study folder (links that
    exist are kept), read like the original by :func:`study_datalist`. Returns the number of items."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for item in items:
        link = out / item[SUBJECT]
        if not link.exists():
            link.symlink_to(Path(item[STUDY].path).resolve())
    return len(items)
