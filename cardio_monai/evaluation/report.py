"""Evaluate prediction CSVs against reference volumes: ``metrics.json`` and PNG plots in one folder.

Predictions: ``subject, EDV_ml, ESV_ml, EF_pct[, EDV_sd_ml, ESV_sd_ml, EF_sd_pct, warning]`` (the ``predict``
command's output). Reference: ``subject, EDV_ml, ESV_ml[, EF_pct, group]`` (e.g. ``reference_volumes.csv``).
A missing ``EF_pct`` column is computed from the volumes. Rows are joined by ``subject``; a row with an empty
EDV/ESV/EF cell (e.g. a ``--skip-bad`` warning row) is left out with a warning and listed under ``excluded``.
Every problem with the inputs raises :class:`~cardio_monai.errors.InputError` before anything is written.
"""

from __future__ import annotations

import csv
import json
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cardio_monai.errors import InputError
from cardio_monai.evaluation.metrics import (
    BOOTSTRAP_SEED,
    EF_LOW_PCT,
    N_BOOTSTRAP,
    QUANTITIES,
    UNITS,
    cardiac_agreement,
    low_ef_mask,
)
from cardio_monai.evaluation.stats import compare_absolute_errors
from cardio_monai.utils import atomic_path
from cardio_monai.volumes import ejection_fraction_pct

COLUMNS = {"EDV": "EDV_ml", "ESV": "ESV_ml", "EF": "EF_pct"}
REQUIRED_COLUMNS = ("subject", "EDV_ml", "ESV_ml")
METRICS_FILE = "metrics.json"
SIGNIFICANT_DIGITS = 6


@dataclass
class VolumeTable:
    """One CSV's values per subject: ``values[q][i]`` for quantity q (EDV ml, ESV ml, EF %) of ``subjects[i]``."""

    path: str
    subjects: list[str]
    values: dict[str, np.ndarray]
    groups: list[str] | None = None
    excluded: list[dict[str, str]] = field(default_factory=list)

    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.subjects)}


def read_volume_table(path: str | os.PathLike) -> VolumeTable:
    """Read a predictions or reference CSV (see the module docstring); InputError on any problem."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "does not exist")
    if not path.is_file():
        raise InputError(path, "is not a file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [(h or "").strip() for h in (reader.fieldnames or [])]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"cannot read as CSV ({exc})") from None
    if not header:
        raise InputError(path, "empty file: expected a header row " + ", ".join(REQUIRED_COLUMNS))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}; found {', '.join(header)}")
    has_ef = COLUMNS["EF"] in header
    has_group = "group" in header

    subjects: list[str] = []
    values: dict[str, list[float]] = {q: [] for q in QUANTITIES}
    groups: list[str] = []
    excluded: list[dict[str, str]] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        subject = row.get("subject", "")
        if not subject:
            raise InputError(path, f"line {line}: empty subject")
        if subject in seen:
            raise InputError(path, f"line {line}: subject {subject} appears twice")
        seen.add(subject)
        cells = {q: row.get(COLUMNS[q], "") for q in QUANTITIES if q != "EF" or has_ef}
        empty = [COLUMNS[q] for q, cell in cells.items() if cell == "" and q != "EF"]
        if empty or (has_ef and cells["EF"] == "" and row.get("warning")):
            reason = row.get("warning") or f"empty {', '.join(empty or [COLUMNS['EF']])}"
            excluded.append({"subject": subject, "file": str(path), "reason": reason})
            warnings.warn(f"{path}: line {line}: subject {subject} left out ({reason})", stacklevel=2)
            continue
        parsed = {q: _number(path, line, COLUMNS[q], cell) for q, cell in cells.items() if cell != ""}
        if "EF" not in parsed:
            ef = ejection_fraction_pct(parsed["EDV"], parsed["ESV"])
            if not math.isfinite(ef):
                raise InputError(path, f"line {line}: EDV_ml {parsed['EDV']} must be positive to compute EF")
            parsed["EF"] = ef
        subjects.append(subject)
        for q in QUANTITIES:
            values[q].append(parsed[q])
        groups.append(row.get("group", ""))
    return VolumeTable(
        path=str(path),
        subjects=subjects,
        values={q: np.asarray(v, dtype=np.float64) for q, v in values.items()},
        groups=groups if has_group else None,
        excluded=excluded,
    )


def read_volume_tables(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> VolumeTable:
    """One predictions or reference CSV, or several pooled (e.g. the held-out folds of a cross-validation:
    a list, or paths joined by commas); a subject in two of them is an InputError naming the second file."""
    if isinstance(paths, str) and "," in paths:
        paths = [p for p in paths.split(",") if p.strip()]
    if isinstance(paths, str | os.PathLike):
        return read_volume_table(paths)
    tables = [read_volume_table(p) for p in paths]
    if not tables:
        raise InputError(Path("."), "no predictions file given")
    seen: dict[str, str] = {}
    for table in tables:
        for subject in table.subjects:
            if subject in seen:
                raise InputError(Path(table.path), f"subject {subject} is also in {seen[subject]}")
            seen[subject] = table.path
    groups = [t.groups for t in tables]
    return VolumeTable(
        path=",".join(t.path for t in tables),
        subjects=[s for t in tables for s in t.subjects],
        values={q: np.concatenate([t.values[q] for t in tables]) for q in QUANTITIES},
        groups=None if any(g is None for g in groups) else [x for g in groups for x in g],
        excluded=[e for t in tables for e in t.excluded],
    )


def _number(path: Path, line: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise InputError(path, f"line {line}: {column} {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(path, f"line {line}: {column} {cell!r} is not a finite number")
    return value


def _common(pred: VolumeTable, ref: VolumeTable, also: VolumeTable | None = None) -> list[str]:
    """Subjects of ``pred`` (in its order) that ``ref`` (and ``also``) hold."""
    keep = set(ref.subjects) & (set(also.subjects) if also is not None else set(ref.subjects))
    return [s for s in pred.subjects if s in keep]


def _take(table: VolumeTable, subjects: list[str]) -> dict[str, np.ndarray]:
    idx = table.index()
    rows = np.asarray([idx[s] for s in subjects], dtype=np.intp)
    return {q: table.values[q][rows] for q in QUANTITIES}


def _metrics_block(pred: VolumeTable, ref: VolumeTable, n_bootstrap: int, seed: int) -> dict:
    subjects = _common(pred, ref)
    if not subjects:
        raise InputError(pred.path, f"no subjects in common with {ref.path}")
    p, r = _take(pred, subjects), _take(ref, subjects)
    missing_ref = [s for s in pred.subjects if s not in set(subjects)]
    if missing_ref:
        warnings.warn(f"{pred.path}: {len(missing_ref)} subject(s) not in {ref.path} left out", stacklevel=2)
    block: dict = {
        "file": pred.path,
        "n_subjects": len(subjects),
        **cardiac_agreement(p, r, n_bootstrap, seed),
    }
    low = low_ef_mask(r["EF"])
    block[f"ef_below_{EF_LOW_PCT:g}"] = {
        "n": int(low.sum()),
        **cardiac_agreement({q: v[low] for q, v in p.items()}, {q: v[low] for q, v in r.items()}, n_bootstrap, seed),
    }
    if ref.groups is not None:
        ref_group = dict(zip(ref.subjects, ref.groups))
        labels = np.asarray([ref_group[s] for s in subjects])
        block["groups"] = {}
        for g in sorted(set(labels.tolist()) - {""}):
            m = labels == g
            block["groups"][g] = {
                "n": int(m.sum()),
                **cardiac_agreement(
                    {q: v[m] for q, v in p.items()}, {q: v[m] for q, v in r.items()}, n_bootstrap, seed
                ),
            }
    block["excluded"] = pred.excluded
    block["not_in_reference"] = missing_ref
    return block


def _plots(pred: VolumeTable, ref: VolumeTable, suffix: str) -> dict[str, bytes]:
    from cardio_monai.evaluation.plots import bland_altman_png, scatter_png

    subjects = _common(pred, ref)
    p, r = _take(pred, subjects), _take(ref, subjects)
    title = Path(pred.path).name
    out = {}
    for q in QUANTITIES:
        out[f"scatter_{q}{suffix}.png"] = scatter_png(p[q], r[q], q, title)
        out[f"bland_altman_{q}{suffix}.png"] = bland_altman_png(p[q], r[q], q, title)
    return out


def _round(obj):
    """Round floats to SIGNIFICANT_DIGITS for a readable JSON (p-values keep their exponent)."""
    if isinstance(obj, float):
        return float(f"{obj:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    return obj


def build_report(
    predictions: str | os.PathLike | Sequence[str | os.PathLike],
    reference: str | os.PathLike | Sequence[str | os.PathLike],
    predictions2: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    n_bootstrap: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[dict, dict[str, bytes]]:
    """Compute the metrics dict and the PNG plots (name -> bytes) without writing anything.
    ``predictions`` and ``predictions2``: one CSV or several pooled (:func:`read_volume_tables`).

    The metrics of ``predictions`` are at the top level (``EDV``, ``ESV``, ``EF``, ``ef_below_40``, ``groups``
    when the reference has a ``group`` column); those of ``predictions2`` under ``predictions2`` with the same
    keys, plus ``kruskal_wallis`` {EDV, ESV, EF: {statistic, p_value, n}} of the absolute errors of the two
    files over the subjects that both files and the reference hold.
    """
    pred = read_volume_tables(predictions)
    ref = read_volume_tables(reference)
    pred2 = read_volume_tables(predictions2) if predictions2 is not None else None

    report: dict = {
        "reference": ref.path,
        "units": UNITS,
        "definitions": {
            "error": "predicted - reference",
            "rmse_sd": "sample SD of the errors (ddof 1)",
            "loa_lower, loa_upper": "Bland-Altman limits: bias -/+ 1.96 rmse_sd",
        },
        "bootstrap": {"method": "percentile", "n_resamples": n_bootstrap, "seed": seed, "level": 0.95},
        "ef_below_threshold_pct": EF_LOW_PCT,
        "reference_excluded": ref.excluded,
        **_metrics_block(pred, ref, n_bootstrap, seed),
    }
    figures = _plots(pred, ref, "")
    if pred2 is not None:
        report["predictions2"] = _metrics_block(pred2, ref, n_bootstrap, seed)
        both = _common(pred, ref, pred2)
        if not both:
            raise InputError(pred2.path, f"no subjects in common with {pred.path} and {ref.path}")
        p1, p2, r = _take(pred, both), _take(pred2, both), _take(ref, both)
        report["kruskal_wallis"] = {q: compare_absolute_errors(p1[q], p2[q], r[q]) for q in QUANTITIES}
        figures.update(_plots(pred2, ref, "_2"))
    return _round(report), figures


def evaluate_predictions(
    predictions: str | os.PathLike | Sequence[str | os.PathLike],
    reference: str | os.PathLike | Sequence[str | os.PathLike],
    predictions2: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    out_dir: str | os.PathLike = "evaluation",
    n_bootstrap: int = N_BOOTSTRAP,
    seed: int = BOOTSTRAP_SEED,
) -> dict:
    """Evaluate and write ``out_dir/metrics.json`` plus ``scatter_{EDV,ESV,EF}.png`` and
    ``bland_altman_{EDV,ESV,EF}.png`` (``*_2.png`` for ``predictions2``), each atomically; everything is
    computed before the first file is written, so bad input leaves ``out_dir`` untouched. Returns the metrics.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(out_dir, "exists and is not a folder")
    report, figures = build_report(predictions, reference, predictions2, n_bootstrap, seed)
    text = json.dumps(report, indent=2, allow_nan=False) + "\n"
    for name, png in figures.items():
        with atomic_path(out_dir / name) as tmp:
            tmp.write_bytes(png)
    with atomic_path(out_dir / METRICS_FILE) as tmp:
        tmp.write_text(text)
    return report
