"""The synthetic-pretraining driver end to end on the ``tiny`` profile (ACDC-layout phantoms, the shipped
generator): every step's output, no test subject in any training input, and a killed step redone alone."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from sfera_tiny import write_phantoms

from cardio_monai.data import study_datalist
from cardio_monai.regression.cohorts import study_ef_pct

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "synthetic_pretraining.sh"


def _run(data: Path, out: Path, **settings: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRETRAINING_DATA": str(data), "PYTHON": sys.executable, "OMP_NUM_THREADS": "2", **settings}
    return subprocess.run(["bash", str(SCRIPT), "tiny", str(out)], capture_output=True, text=True, env=env, timeout=600)


def _subjects(csv_path: Path, column: str = "subject") -> set[str]:
    with open(csv_path, newline="") as fh:
        return {row[column] for row in csv.DictReader(fh)}


@pytest.mark.slow
def test_tiny_profile_runs_every_step_without_leakage_and_resumes(tmp_path):
    data = write_phantoms(tmp_path / "acdc", n=15)
    out = tmp_path / "study"
    done = _run(data, out)
    assert done.returncode == 0, done.stderr[-3000:]
    f = out / "fold0"
    train = {p.name for p in (f / "real_train").iterdir() if not p.name.startswith(".")}
    test = _subjects(f / "rsp" / "test" / "predictions.csv")
    assert len(train) == 12 and len(test) == 3 and not train & test
    assert _subjects(f / "masks" / "manifest.csv", "source_subject") <= train
    assert _subjects(f / "images" / "manifest.csv", "source_subject") <= train
    for name in ("sso", "rso", "rsp"):
        assert _subjects(f / name / "test" / "predictions.csv") == test
    table = (f / "compare" / "experiments.md").read_text()
    assert "| SSO |" in table and "| RSP |" in table and "Kruskal-Wallis" in table
    assert (f / "compare" / "metrics.json").is_file()
    # a killed finetuning (its model and predictions gone) is redone alone; earlier steps are kept
    masks_mtime = (f / "masks" / "manifest.csv").stat().st_mtime
    (f / "rsp" / "model.pt").unlink()
    (f / "rsp" / "test" / "predictions.csv").unlink()
    again = _run(data, out)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "RSP, 2 epochs" in again.stdout and "SSO" not in again.stdout and "synthetic" not in again.stdout
    assert (f / "masks" / "manifest.csv").stat().st_mtime == masks_mtime
    assert _subjects(f / "rsp" / "test" / "predictions.csv") == test
    # a seed repeat of the finetuning beside it: only the RSP step runs, with another seed, into its own folder
    seed1 = _run(data, out, RSP_SEED="1", RSP_DIR="rsp_seed1")
    assert seed1.returncode == 0, seed1.stderr[-3000:]
    assert "into rsp_seed1/, seed 1" in seed1.stdout and "SSO, " not in seed1.stdout
    weights = [torch.load(f / d / "model.pt", weights_only=True) for d in ("rsp", "rsp_seed1")]
    assert weights[0].keys() == weights[1].keys()
    assert any(not torch.equal(weights[0][k], weights[1][k]) for k in weights[0] if weights[0][k].is_floating_point())
    assert _subjects(f / "rsp_seed1" / "test" / "predictions.csv") == test
    assert (f / "compare_rsp_seed1" / "experiments.md").is_file()


@pytest.mark.slow
def test_tiny_setting_b_trains_every_model_on_the_imbalanced_subset_and_tests_on_the_fold(tmp_path):
    data = write_phantoms(tmp_path / "acdc", n=15)  # EF 25-73 %
    out = tmp_path / "study_b"
    done = _run(data, out, SETTING="b", SSO_EPOCHS="3")  # and the SSO's length from the environment
    assert done.returncode == 0, done.stderr[-3000:]
    f = out / "fold0"
    assert "SSO, 3 epochs" in done.stdout and (f / "sso" / "resume_checkpoint_epoch=3.pt").is_file()
    train = {p.name for p in (f / "real_train").iterdir() if not p.name.startswith(".")}
    assert 6 <= len(train) < 12
    ef = study_ef_pct(study_datalist(f / "real_train"))  # the reference EF (%) of each kept subject
    assert (ef < 40.0).sum() == 1  # round(0.06 * n_high / 0.94), at least one
    assert _subjects(f / "masks" / "manifest.csv", "source_subject") <= train
    test = _subjects(f / "rsp" / "test" / "predictions.csv")
    assert len(test) == 3 and not train & test
    for name in ("sso", "rso", "rsp"):  # setting (b) trains its own RSO, nothing reused
        assert (f / name / "model.pt").is_file()
        assert _subjects(f / name / "test" / "predictions.csv") == test
    assert "| RSP |" in (f / "compare" / "experiments.md").read_text()


def test_driver_refuses_an_unknown_setting_before_any_work(tmp_path):
    bad = _run(tmp_path, tmp_path / "out", SETTING="c")
    assert bad.returncode == 2 and "SETTING=c" in bad.stderr
    bad = _run(tmp_path, tmp_path / "out", EF_DISTRIBUTION="real")
    assert bad.returncode == 2 and "EF_DISTRIBUTION=real" in bad.stderr
    for name, value in (("SSO_EPOCHS", "five"), ("RSP_EPOCHS", "0")):
        bad = _run(tmp_path, tmp_path / "out", **{name: value})
        assert bad.returncode == 2 and "epochs" in bad.stderr and value in bad.stderr
    bad = _run(tmp_path, tmp_path / "out", RSP_SEED="-1")
    assert bad.returncode == 2 and "RSP_SEED=-1" in bad.stderr
    assert not (tmp_path / "out").exists()
