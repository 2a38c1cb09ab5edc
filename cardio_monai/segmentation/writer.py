"""What the segmentation bundle's ``inference.json`` writes: per study the ED and ES label maps as NIfTI
in the input's geometry (``<subject>_ED_seg.nii.gz``, ``<subject>_ES_seg.nii.gz``) and a row of
``predictions.csv`` (subject, EDV_ml, ESV_ml, EF_pct, warning) in ``output_dir``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cardio_monai.columns import VOLUME_COLUMNS, WARNING
from cardio_monai.io import safe_name
from cardio_monai.io.writers import write_nifti
from cardio_monai.keys import AFFINE, PRED, SUBJECT
from cardio_monai.segmentation.reader import segment_item
from cardio_monai.utils import write_csv


class SegmentationWriter:
    """The evaluator's ``iteration_update``: segments the batch's studies (a list of preprocessed items,
    ``collate_fn`` the identity) and writes their masks; ``predictions.csv`` is rewritten atomically after
    every study, so it always holds the studies done. Returns ``{"pred": [(2, Z, H, W) label maps]}``."""

    def __init__(self, network: torch.nn.Module, output_dir: str | Path):
        self.network = network
        self.output_dir = Path(output_dir)
        self.rows: list[dict[str, Any]] = []

    def __call__(self, engine: Any, batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        labels = []
        for item in batch:
            result = segment_item(self.network, item)
            name = safe_name(item[SUBJECT])
            for k, phase in enumerate(("ED", "ES")):
                write_nifti(self.output_dir / f"{name}_{phase}_seg.nii.gz", result.labels[k], item[AFFINE])
            row = {SUBJECT: item[SUBJECT], "EDV_ml": result.edv_ml, "ESV_ml": result.esv_ml, "EF_pct": result.ef_pct}
            self.rows.append({**row, WARNING: result.warning})
            labels.append(np.asarray(result.labels))
        write_csv(self.output_dir / "predictions.csv", self.rows, (*VOLUME_COLUMNS, WARNING))
        return {PRED: labels}
