"""The UNet segmentation baseline: trains on the training split, predicts held-out volumes."""

from __future__ import annotations

import csv

import numpy as np
import torch

from cardio_monai.io import find_studies
from cardio_monai.measure import record_volumes
from cardio_monai.regression.baseline import run_baseline, segment_volumes


class _Oracle(torch.nn.Module):
    """Calls every bright pixel LV cavity: on the phantom, whose blood pools are its brightest pixels."""

    def forward(self, x):
        lv = (x > 0.9).float()
        return torch.cat([1 - lv, torch.zeros_like(x), torch.zeros_like(x), lv], 1)


def test_segment_volumes_sums_lv_pixels_by_slice(phantom_acdc):
    record = find_studies(phantom_acdc)[0].read(with_labels=False)
    edv, esv = segment_volumes(_Oracle(), record, pixel_mm=3.0, size=32)
    assert edv > esv > 0  # brightest pixels shrink from ED to ES, as the cavity does


def test_run_baseline_writes_held_out_predictions_and_reference(phantom_acdc, tmp_path):
    info = run_baseline(str(phantom_acdc), str(tmp_path), n_folds=3, epochs=1, pixel_mm=3.0, size=32)
    assert info["held_out"] == 2
    with open(tmp_path / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(tmp_path / "reference.csv", newline="") as fh:
        ref = {r["subject"]: r for r in csv.DictReader(fh)}
    assert [r["subject"] for r in rows] == list(ref)
    studies = {s.subject: s for s in find_studies(phantom_acdc)}
    for r in rows:
        assert np.isfinite(float(r["EDV_ml"])) and float(r["EDV_ml"]) >= 0
        truth = record_volumes(studies[r["subject"]].read(with_labels=True))
        assert abs(float(ref[r["subject"]]["EDV_ml"]) - truth["EDV_ml"]) < 0.01  # CSV keeps 2 decimals
