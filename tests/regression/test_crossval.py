"""scripts/crossval_sfera.sh: every subject predicted once by a model that did not see it, pooled."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from sfera_tiny import REPO, TINY


def test_crossval_predicts_each_subject_once_and_resumes(phantom_acdc, tmp_path):
    out = tmp_path / "cv"
    args = [x for k, v in TINY.items() if k != "val_interval" for x in (f"--{k}", str(v))]
    cmd = ["bash", str(REPO / "scripts" / "crossval_sfera.sh"), str(phantom_acdc), str(out), *args]
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1", "CARDIO_MONAI_FOLDS": "0 1 2"}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]

    held = {}
    for k in range(3):
        with open(out / f"fold{k}" / "predictions.csv", newline="") as fh:
            held[k] = {row["subject"] for row in csv.DictReader(fh)}
    subjects = sorted(p.name for p in phantom_acdc.iterdir() if p.is_dir())
    assert sorted(s for k in held for s in held[k]) == subjects  # each subject in exactly one held-out fold
    metrics = json.loads((out / "pooled" / "metrics.json").read_text())
    assert metrics["n_subjects"] == len(subjects)

    before = (out / "fold1" / "predictions.csv").stat().st_mtime_ns
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert again.returncode == 0 and (out / "fold1" / "predictions.csv").stat().st_mtime_ns == before
