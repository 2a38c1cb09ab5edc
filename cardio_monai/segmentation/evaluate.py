"""Evaluation of the segmentation reader on held-out studies: images only in (the bundle's
``preprocessing``), label maps compared with the references only afterwards.

Writes ``predictions.csv`` (subject, EDV_ml, ESV_ml, EF_pct, warning), ``reference.csv`` (with groups,
volumes by slice summation of the reference label maps) and ``dice.csv`` (per subject: Dice of the LV
cavity, myocardium and RV at ED and ES on the input's pixel grid); the volume metrics and plots follow
from :func:`cardio_monai.evaluation.evaluate_predictions`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cardio_monai.columns import REFERENCE_COLUMNS, VOLUME_COLUMNS, WARNING
from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM, LABEL_RV
from cardio_monai.io import read_once
from cardio_monai.keys import GROUP, STUDY, SUBJECT
from cardio_monai.measure import record_volumes
from cardio_monai.segmentation.phases import segmented_ed_es
from cardio_monai.segmentation.reader import segment_item
from cardio_monai.transforms import estimate_ed_es
from cardio_monai.utils import progress, write_csv
from cardio_monai.utils.files import write_json

DICE_LABELS = {"LV": LABEL_LV, "MYO": LABEL_MYOCARDIUM, "RV": LABEL_RV}
DICE_COLUMNS = (SUBJECT, *(f"{name}_{phase}" for phase in ("ED", "ES") for name in DICE_LABELS))


def dice(pred: np.ndarray, truth: np.ndarray, label: int) -> float:
    """Dice 2|A n B| / (|A| + |B|) of one label between two label maps (NaN when both lack it)."""
    a, b = pred == label, truth == label
    denom = int(a.sum()) + int(b.sum())
    return 2.0 * float((a & b).sum()) / denom if denom else float("nan")


@torch.no_grad()
def evaluate_reader(
    network: torch.nn.Module,
    preprocessing: Callable[[dict], dict],
    items: Sequence[dict[str, Any]],
    out_dir: str | Path,
) -> dict[str, float]:
    """Segment every held-out study of ``items`` (``{"study": StudySource, "subject", "group"}``) and write
    the three CSVs in ``out_dir``; returns the mean Dice per label and phase."""
    network.eval()
    rows, reference, dices = [], [], []
    for item in progress(items, desc="segment"):
        # the reference phases (named by the labels where the input names no others), never the labels
        record, images = read_once(item[STUDY], with_labels=True)
        result = segment_item(network, preprocessing({STUDY: images, SUBJECT: item[SUBJECT]}))
        rows.append(
            {
                SUBJECT: item[SUBJECT],
                "EDV_ml": result.edv_ml,
                "ESV_ml": result.esv_ml,
                "EF_pct": result.ef_pct,
                WARNING: result.warning,
            }
        )
        ref = record_volumes(record)
        reference.append({**ref, GROUP: item.get(GROUP, "")})
        row = {SUBJECT: item[SUBJECT]}
        for k, (phase, index) in enumerate((("ED", record.ed), ("ES", record.es))):
            truth = record.labels[index]
            for name, label in DICE_LABELS.items():  # NaN where the reference does not draw the structure
                drawn = bool((truth == label).any())
                row[f"{name}_{phase}"] = dice(result.labels[k], truth, label) if drawn else float("nan")
        dices.append(row)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "predictions.csv", rows, (*VOLUME_COLUMNS, WARNING))
    write_csv(out / "reference.csv", reference, REFERENCE_COLUMNS)
    write_csv(out / "dice.csv", dices, DICE_COLUMNS, float_format="{:.4f}")
    return {c: float(np.nanmean([d[c] for d in dices])) for c in DICE_COLUMNS[1:]}


PHASE_COLUMNS = (SUBJECT, "n_phases", "ed_ref", "es_ref", "ed_seg", "es_seg", "ed_heuristic", "es_heuristic")


def circular_phase_error(a: int, b: int, n: int) -> int:
    """Phases between ``a`` and ``b`` on a cine of ``n`` phases (the cycle wraps around)."""
    d = abs(int(a) - int(b)) % n
    return min(d, n - d)


@torch.no_grad()
def evaluate_phases(network: torch.nn.Module, items: Sequence[dict[str, Any]], out_dir: str | Path, **grid) -> dict:
    """ED/ES found from the images, by the segmenter (:func:`segmented_ed_es`) and by the intensity heuristic
    (:func:`cardio_monai.transforms.estimate_ed_es`), against the phases the studies name; writes
    ``OUT/phases.csv`` and returns the mean circular phase errors and exact-match shares of both."""
    rows = []
    for item in progress(items, desc="phases"):
        record = item[STUDY].read(with_labels=True)  # labels only name the reference phases (Sunnybrook)
        if record.ed is None or record.es is None or record.n_phases < 3:
            continue
        seg = segmented_ed_es(network, record.frames, record.pixel_spacing, record.slice_spacing, **grid)[:2]
        heuristic = estimate_ed_es(record.frames, float(record.pixel_spacing[0]))
        rows.append(dict(zip(PHASE_COLUMNS, (record.subject, record.n_phases, record.ed, record.es, *seg, *heuristic))))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "phases.csv", rows, PHASE_COLUMNS)
    summary: dict[str, Any] = {"n": len(rows)}
    for method in ("seg", "heuristic"):
        for phase in ("ed", "es"):
            errors = [circular_phase_error(r[f"{phase}_{method}"], r[f"{phase}_ref"], r["n_phases"]) for r in rows]
            summary[f"{phase}_{method}_mean_abs_error_phases"] = float(np.mean(errors)) if errors else None
            summary[f"{phase}_{method}_exact_share"] = float(np.mean([e == 0 for e in errors])) if errors else None
    return summary


def summarise_dice(files: str | Sequence[str | Path], out: str | Path | None = None) -> dict[str, dict[str, float]]:
    """Mean, SD and count of every Dice column of one or several ``dice.csv`` (the folds of a
    cross-validation, a list or paths joined by commas); written as JSON to ``out`` when given."""
    paths = [p for p in files.split(",") if p] if isinstance(files, str) else list(files)
    rows = []
    for path in paths:
        with open(path, newline="") as fh:
            rows += list(csv.DictReader(fh))
    summary = {}
    for column in DICE_COLUMNS[1:]:
        values = np.array([float(r[column]) for r in rows if r[column] not in ("", "nan")], dtype=np.float64)
        summary[column] = {
            "mean": round(float(values.mean()), 4) if values.size else None,
            "sd": round(float(values.std(ddof=1)), 4) if values.size > 1 else None,
            "n": int(values.size),
        }
    if out is not None:
        write_json(out, summary)
    return summary
