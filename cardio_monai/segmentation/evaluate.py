"""Evaluation of the segmentation reader on held-out studies: images only in (the bundle's
``preprocessing``), label maps compared with the references only afterwards.

Writes ``predictions.csv`` (subject, EDV_ml, ESV_ml, EF_pct, warning), ``reference.csv`` (with groups,
volumes by slice summation of the reference label maps) and ``dice.csv`` (per subject: Dice of the LV
cavity, myocardium and RV at ED and ES on the input's pixel grid); the volume metrics and plots follow
from :func:`cardio_monai.evaluation.evaluate_predictions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cardio_monai.columns import REFERENCE_COLUMNS, VOLUME_COLUMNS, WARNING
from cardio_monai.constants import LABEL_LV, LABEL_MYOCARDIUM, LABEL_RV
from cardio_monai.keys import GROUP, STUDY, SUBJECT
from cardio_monai.measure import record_volumes
from cardio_monai.segmentation.reader import segment_item
from cardio_monai.utils import progress, write_csv

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
        study = item[STUDY]
        result = segment_item(network, preprocessing({STUDY: study, SUBJECT: item[SUBJECT]}))
        record = study.read(with_labels=True)
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
            for name, label in DICE_LABELS.items():
                row[f"{name}_{phase}"] = dice(result.labels[k], record.labels[index], label)
        dices.append(row)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "predictions.csv", rows, (*VOLUME_COLUMNS, WARNING))
    write_csv(out / "reference.csv", reference, REFERENCE_COLUMNS)
    write_csv(out / "dice.csv", dices, DICE_COLUMNS, float_format="{:.4f}")
    return {c: float(np.nanmean([d[c] for d in dices])) for c in DICE_COLUMNS[1:]}
