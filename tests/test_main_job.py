"""The README's main job on the shipped sample."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest


def test_volumes_on_shipped_sample(sample_dir, tmp_path):
    out = tmp_path / "volumes.csv"
    res = subprocess.run(
        [sys.executable, "-m", "cardio_monai", "volumes", str(sample_dir), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(open(out)))
    assert [r["subject"] for r in rows] == ["SC-HF-I-1"]
    # the sample holds the ED and ES frames of SC-HF-I-1: reference 191.32 / 141.27 ml (polygon areas)
    assert float(rows[0]["EDV_ml"]) == pytest.approx(191.32, abs=1.0)
    assert float(rows[0]["ESV_ml"]) == pytest.approx(141.27, abs=1.0)
    assert list(rows[0]) == ["subject", "EDV_ml", "ESV_ml", "EF_pct"]
