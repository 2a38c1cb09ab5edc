"""The ``python -m cardio_monai volumes`` command on good input and on a missing path."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_ROOT = REPO / "cardio_monai" / "data" / "sample_sunnybrook"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cardio_monai", "volumes", *args], capture_output=True, text=True, cwd=REPO
    )


def test_volumes_sample_sunnybrook(tmp_path):
    out = tmp_path / "res" / "volumes.csv"
    proc = _run(str(SAMPLE_ROOT), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["subject"] for r in rows] == ["SC-HF-I-1"]
    assert list(rows[0]) == ["subject", "EDV_ml", "ESV_ml", "EF_pct"]
    edv, esv, ef = (float(rows[0][c]) for c in ("EDV_ml", "ESV_ml", "EF_pct"))
    assert edv > esv > 0
    assert ef == pytest.approx(100 * (edv - esv) / edv, abs=0.02)
    assert sorted(p.name for p in out.parent.iterdir()) == ["volumes.csv"]


def test_volumes_missing_input(tmp_path):
    out = tmp_path / "volumes.csv"
    proc = _run(str(tmp_path / "nowhere"), "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "nowhere" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_mistyped_flag_writes_nothing(tmp_path):
    """fire would run with the default and write the CSV before complaining: the flag is checked first."""
    out = tmp_path / "v.csv"
    argv = ["volumes", "cardio_monai/data/sample_sunnybrook", "--out", str(out), "--thickness", "8"]
    proc = subprocess.run(
        [sys.executable, "-m", "cardio_monai", *argv],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and proc.stderr.startswith("error: --thickness:")
    assert not out.exists()
