"""The predictions CSV: rows from the regressor's outputs (EF and its SD by :mod:`cardio_monai.volumes`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cardio_monai.columns import PREDICTION_COLUMNS, REFERENCE_COLUMNS, WARNING
from cardio_monai.networks import SFERARegressor
from cardio_monai.utils import write_csv
from cardio_monai.volumes import ejection_fraction_pct, ejection_fraction_sd_pct, volume_problem


def prediction_rows(
    subjects: Sequence[str],
    outputs: torch.Tensor | np.ndarray,
    spacing_mm: Iterable[float],
    regressor: SFERARegressor,
    warnings: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """CSV rows (:data:`PREDICTION_COLUMNS` + ``warning``) from the regressor's (B, 4) outputs in ml.
    A slice spacing outside the training range gets a warning, never silence; ``warnings`` (one per
    subject, e.g. ED/ES estimated from the images) are carried into the same column."""
    out = np.asarray(outputs.detach().cpu() if isinstance(outputs, torch.Tensor) else outputs, dtype=np.float64)
    lo, hi = float(regressor.spacing_min_), float(regressor.spacing_max_)
    warnings = list(warnings) if warnings is not None else [""] * len(subjects)
    rows = []
    for subject, (edv, esv, edv_sd, esv_sd), s, given in zip(subjects, out, spacing_mm, warnings, strict=True):
        notes = [given] if given else []
        if np.isfinite(lo) and not lo - 0.5 <= float(s) <= hi + 0.5:
            notes.append(f"slice spacing {float(s):.1f} mm outside the trained range {lo:.1f}-{hi:.1f} mm")
        problem = volume_problem(edv, esv)
        if problem is not None:  # a number no heart has: said in the row, never a bare number
            notes.append(f"implausible prediction: {problem}")
        warning = "; ".join(notes)
        rows.append(
            {
                "subject": subject,
                "EDV_ml": edv,
                "ESV_ml": esv,
                "EF_pct": ejection_fraction_pct(edv, esv),
                "EDV_sd_ml": edv_sd,
                "ESV_sd_ml": esv_sd,
                "EF_sd_pct": ejection_fraction_sd_pct(edv, esv, edv_sd, esv_sd),
                "warning": warning,
            }
        )
    return rows


def write_predictions(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write prediction rows (atomic); the ``warning`` column only when some row has one."""
    columns = PREDICTION_COLUMNS + ((WARNING,) if any(r.get(WARNING) for r in rows) else ())
    write_csv(path, [{k: r.get(k, "") for k in columns} for r in rows], columns)


def reference_row(subject: str, edv_ml: float, esv_ml: float, group: str = "") -> dict[str, Any]:
    """A row of a reference CSV (:data:`cardio_monai.columns.REFERENCE_COLUMNS`)."""
    return {
        "subject": subject,
        "EDV_ml": edv_ml,
        "ESV_ml": esv_ml,
        "EF_pct": ejection_fraction_pct(edv_ml, esv_ml),
        "group": group,
    }


def write_reference(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write reference rows (subject, volumes, EF, group; atomic)."""
    write_csv(path, rows, REFERENCE_COLUMNS)
