"""``python -m cardio_monai predict``: the shipped bundle on the shipped sample, and bad input."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from sfera_tiny import BUNDLE, REPO

from cardio_monai.cli import main
from cardio_monai.columns import PREDICTION_COLUMNS

WEIGHTS = BUNDLE / "models" / "model.pt"


def _run(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["predict", *args])
    return code, err.getvalue()


def test_predict_on_the_shipped_sample(tmp_path):
    out = tmp_path / "p.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "cardio_monai", "predict", "--readers", "sfera", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["subject"] for r in rows] == ["SC-HF-I-1"]
    assert tuple(rows[0])[: len(PREDICTION_COLUMNS)] == PREDICTION_COLUMNS
    edv, esv, ef = (float(rows[0][k]) for k in ("EDV_ml", "ESV_ml", "EF_pct"))
    assert 0 < esv < edv and ef == pytest.approx(100 * (edv - esv) / edv, abs=0.01)
    assert all(float(rows[0][k]) > 0 for k in ("EDV_sd_ml", "ESV_sd_ml", "EF_sd_pct"))
    assert "estimated from the images" in rows[0]["warning"]  # the sample's DICOMs do not name ED/ES


def _bundle_copy(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLE / "configs", root / "configs")
    (root / "models").mkdir()
    return root


def test_missing_checkpoint_names_the_file(tmp_path):
    root = _bundle_copy(tmp_path)
    code, err = _run("--out", str(tmp_path / "p.csv"), "--bundle", str(root))
    assert code == 2 and err.count("\n") == 1 and "model.pt" in err and "no such checkpoint" in err
    assert not (tmp_path / "p.csv").exists()


def test_corrupt_checkpoint_names_the_file(tmp_path):
    root = _bundle_copy(tmp_path)
    (root / "models" / "model.pt").write_bytes(WEIGHTS.read_bytes()[:5000])
    code, err = _run("--out", str(tmp_path / "p.csv"), "--bundle", str(root))
    assert code == 2 and err.count("\n") == 1 and "not a readable checkpoint" in err
    assert not (tmp_path / "p.csv").exists()


def test_checkpoint_of_another_network_is_refused(tmp_path):
    root = _bundle_copy(tmp_path)
    torch.save({"weight": torch.zeros(3)}, root / "models" / "model.pt")
    code, err = _run("--out", str(tmp_path / "p.csv"), "--bundle", str(root))
    assert code == 2 and err.count("\n") == 1 and "does not fit" in err


def test_pickled_checkpoint_is_not_executed(tmp_path):
    root = _bundle_copy(tmp_path)
    torch.save({"obj": object()}, root / "models" / "model.pt")  # needs unpickling of arbitrary classes
    code, err = _run("--out", str(tmp_path / "p.csv"), "--bundle", str(root))
    assert code == 2 and "not a readable checkpoint" in err


def test_cuda_without_a_gpu_is_a_clear_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, err = _run("--out", str(tmp_path / "p.csv"), "--device", "cuda")
    assert code == 2 and "no CUDA device" in err
