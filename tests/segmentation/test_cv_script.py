"""scripts/segmentation_cv.sh: what it runs for each fold, from where, and that a finished fold is skipped.
The bundle runs are replaced by a stand-in interpreter (the trainings themselves are tested elsewhere)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

STAND_IN = """#!/usr/bin/env bash
# records where and how it was called, and writes what the bundle run would
echo "$PWD $*" >> "$CALLS"
case "$*" in
    *evaluate.json*) mkdir -p eval && echo '{}' > eval/metrics.json ;;
    *train.json*) mkdir -p models && echo weights > models/model.pt ;;
esac
"""


def _run(tmp_path: Path, out: str, folds: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": "bin/python", "CALLS": str(tmp_path / "calls.txt"), "DATA": str(tmp_path)}
    cmd = ["bash", str(REPO / "scripts" / "segmentation_cv.sh"), out, "3", folds]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)


def test_folds_train_and_evaluate_in_their_folders_with_a_relative_interpreter_and_resume(tmp_path):
    (tmp_path / "bin").mkdir()
    python = tmp_path / "bin" / "python"
    python.write_text(STAND_IN)
    python.chmod(0o755)
    proc = _run(tmp_path, "cv", "0 all")
    assert proc.returncode == 0, proc.stderr[-2000:]
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert len(calls) == 3  # fold 0 trained and evaluated; the all-subject model trained only
    fold0, all_subjects = tmp_path / "cv" / "fold0", tmp_path / "cv" / "all"
    assert calls[0].startswith(f"{fold0} -m monai.bundle run") and "--fold 0 --max_epochs 3" in calls[0]
    assert calls[1].startswith(str(fold0)) and "'configs/evaluate.json'" in calls[1] and "--fold 0" in calls[1]
    assert calls[2].startswith(str(all_subjects)) and "--fold -1 --max_epochs 3 --val_interval 1000" in calls[2]
    assert (fold0 / "models" / "model.pt").is_file() and (fold0 / "eval" / "metrics.json").is_file()
    assert (fold0 / "configs" / "train.json").is_file() and not (all_subjects / "eval").exists()
    assert "fold 0: trained 3 epochs" in (tmp_path / "cv" / "timing.txt").read_text()
    again = _run(tmp_path, "cv", "0 all")
    assert again.returncode == 0 and len((tmp_path / "calls.txt").read_text().splitlines()) == 3
