"""The commands' outputs on the shared data, bit for bit as recorded in ``tests/golden/`` (CSV text):
``volumes`` of ACDC training, ``predict`` of the shipped sample and of three ACDC subjects, and the
``synthesize-masks`` manifest of a 20-subject cohort (seed 0) from those three subjects.
The ``predict`` files are rewritten when the shipped SFERA weights change (last: 0.3.0, RSP); the
redesign itself left them identical (``docs/architecture.md``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cardio_monai.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"
SUBJECTS = ("patient001", "patient002", "patient003")


def _run(*args: str) -> None:
    assert main(list(args)) == 0


def test_volumes_of_acdc(acdc_dir, tmp_path):
    _run("volumes", str(acdc_dir), "--out", str(tmp_path / "v.csv"))
    assert (tmp_path / "v.csv").read_text() == (GOLDEN / "volumes_acdc_training.csv").read_text()


def test_predict_the_sample(tmp_path):
    _run("predict", "--readers", "sfera", "--out", str(tmp_path / "p.csv"))
    assert (tmp_path / "p.csv").read_text() == (GOLDEN / "predict_sample.csv").read_text()


def _three_subjects(acdc_dir: Path, root: Path) -> Path:
    root.mkdir()
    for s in SUBJECTS:
        os.symlink(acdc_dir / s, root / s)
    return root


def test_predict_acdc_subjects(acdc_dir, tmp_path):
    src = _three_subjects(acdc_dir, tmp_path / "src")
    _run("predict", str(src), "--readers", "sfera", "--out", str(tmp_path / "p.csv"))
    assert (tmp_path / "p.csv").read_text() == (GOLDEN / "predict_acdc_001_003.csv").read_text()


def test_synthesize_masks_manifest(acdc_dir, tmp_path):
    src = _three_subjects(acdc_dir, tmp_path / "src")
    _run("synthesize-masks", str(src), "--out", str(tmp_path / "syn"), "--n", "20", "--seed", "0")
    golden = GOLDEN / "synthesize_masks_acdc_001_003_n20_seed0.csv"
    assert (tmp_path / "syn" / "manifest.csv").read_text() == golden.read_text()
