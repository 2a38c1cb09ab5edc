"""`volumes` reproduces the independent reference volumes of ../shared/data for every subject."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

TOLERANCE_ML = {"acdc": 0.5, "sunnybrook": 1.0}


@pytest.mark.parametrize("dataset", ["acdc", "sunnybrook"])
def test_volumes_cli_matches_reference(dataset, shared_data, reference_volumes, tmp_path):
    inp = shared_data / ("acdc/training" if dataset == "acdc" else "sunnybrook")
    out = tmp_path / "volumes.csv"
    res = subprocess.run(
        [sys.executable, "-m", "cardio_monai", "volumes", str(inp), "--out", str(out)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = {s for s, r in reference_volumes.items() if r["dataset"] == dataset}
    assert {r["subject"] for r in rows} == expected
    tol = TOLERANCE_ML[dataset]
    for row in rows:
        ref = reference_volumes[row["subject"]]
        for col in ("EDV_ml", "ESV_ml"):
            assert abs(float(row[col]) - float(ref[col])) <= tol, (row["subject"], col, row[col], ref[col])
        assert abs(float(row["EF_pct"]) - float(ref["EF_pct"])) <= 0.5, row["subject"]


def test_sunnybrook_phases_match_reference(sunnybrook_dir, reference_volumes):
    from cardio_monai.io import find_studies

    for study in find_studies(sunnybrook_dir):
        record = study.read()
        ref = reference_volumes[record.subject]
        assert (record.ed, record.es) == (int(ref["ed_phase"]), int(ref["es_phase"]))
