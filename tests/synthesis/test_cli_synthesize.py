"""``python -m cardio_monai synthesize-masks``: outputs, determinism, shards, resume, bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from synthesis_cli import run_cli

from cardio_monai.io import load_label
from cardio_monai.io.nifti import load_nifti
from cardio_monai.volumes import lv_volume_ml

REPO = Path(__file__).resolve().parents[2]
N = 24


def _run(*args: str) -> subprocess.CompletedProcess:
    return run_cli("synthesize-masks", *args)


def _run_subprocess(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "cardio_monai", "synthesize-masks", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


def _manifest(out: Path) -> list[dict]:
    with open(out / "manifest.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("syn_*.nii.gz"))}


@pytest.fixture(scope="module")
def full_run(phantom_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("full") / "cohort"
    proc = _run(str(phantom_dir), "--out", str(out), "--n", str(N), "--seed", "5", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return out


def test_outputs_and_volumes_match_files(full_run):
    rows = _manifest(full_run)
    assert len(rows) == N and list(rows[0]) == [
        "subject",
        "source_subject",
        "operation",
        "EDV_ml",
        "ESV_ml",
        "EF_pct",
        "ed_path",
        "es_path",
    ]
    assert len({r["subject"] for r in rows}) == N
    for name in ("ef_histogram.png", "examples.png", "run.json", "summary.json"):
        assert (full_run / name).is_file()
    for r in rows[:8]:
        lab, affine, zooms = load_nifti(full_run / r["ed_path"], ndim=(3,))
        ed, es = load_label(full_run / r["ed_path"]), load_label(full_run / r["es_path"])
        spacing = (zooms[0], zooms[1], zooms[2])
        assert abs(lv_volume_ml(ed, spacing, method="simpson") - float(r["EDV_ml"])) < 0.1
        assert abs(lv_volume_ml(es, spacing, method="simpson") - float(r["ESV_ml"])) < 0.1
        assert spacing == pytest.approx((1.5, 1.5, 10.0))
        assert 10.0 <= float(r["EF_pct"]) <= 80.0


def test_deterministic_and_shards_union(full_run, phantom_dir, tmp_path):
    again = tmp_path / "again"
    assert _run(str(phantom_dir), "--out", str(again), "--n", str(N), "--seed", "5").returncode == 0
    assert _files(again) == _files(full_run)
    shards = tmp_path / "shards"  # two shards into one folder, as a job array would
    for i in range(3):
        proc = _run(str(phantom_dir), "--out", str(shards), "--n", str(N), "--seed", "5", "--shard", f"{i}/3")
        assert proc.returncode == 0, proc.stderr
    assert _files(shards) == _files(full_run)
    assert _manifest(shards) == _manifest(full_run)
    alone = tmp_path / "alone"
    assert _run(str(phantom_dir), "--out", str(alone), "--n", str(N), "--seed", "5", "--shard", "1/3").returncode == 0
    names = {r["subject"] for r in _manifest(alone)}
    assert len(names) == len(range(1, N, 3)) and names < {r["subject"] for r in _manifest(full_run)}


def test_resume_after_deleting_files(full_run, phantom_dir, tmp_path):
    out = tmp_path / "resume"
    assert _run(str(phantom_dir), "--out", str(out), "--n", str(N), "--seed", "5").returncode == 0
    victims = sorted(out.glob("*_ES.nii.gz"))[:5]
    for p in victims:
        p.unlink()
    (out / "manifest.csv").unlink()
    (out / ".part-x-junk.nii.gz").write_bytes(b"torn")  # what a killed write may leave
    proc = _run(str(phantom_dir), "--out", str(out), "--n", str(N), "--seed", "5")
    assert proc.returncode == 0, proc.stderr
    assert _files(out) == _files(full_run)
    assert _manifest(out) == _manifest(full_run)
    assert not list(out.glob(".part-*"))


def _bad_label(k, rec, value=None, phase=None):
    if k == 1:
        if phase is not None:
            del rec.labels[phase]
        else:
            lab = rec.labels[rec.es]
            if value is None:
                lab[lab == 3] = 2
            else:
                lab[0, 0, 0] = value


@pytest.mark.parametrize(
    "case, edit, extra, needle",
    [
        ("no_es", lambda k, r: _bad_label(k, r, phase=r.es), [], "no ES label map"),
        ("empty_lv", lambda k, r: _bad_label(k, r), [], "empty LV"),
        ("label_7", lambda k, r: _bad_label(k, r, value=7), [], "outside"),
        ("n_zero", None, ["--n", "0"], "--n"),
        ("n_negative", None, ["--n", "-3"], "--n"),
        ("bad_shard", None, ["--shard", "3/2"], "--shard"),
        ("bad_shard_text", None, ["--shard", "x"], "--shard"),
    ],
)
def test_bad_input(case, edit, extra, needle, tmp_path, make_phantom_input):
    src = make_phantom_input(tmp_path / "in", efs=(30.0, 50.0), edit=edit)
    out = tmp_path / "out"
    args = ["--n", "5", *extra] if extra and extra[0] != "--n" else (extra or ["--n", "5"])
    proc = _run(str(src), "--out", str(out), *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert needle in proc.stderr
    assert not out.exists()


def test_bad_input_subprocess(tmp_path, phantom_dir):
    """The real entry point: exit code 2, one line on stderr, no traceback, nothing written."""
    out = tmp_path / "out"
    proc = _run_subprocess(str(phantom_dir), "--out", str(out), "--n", "0")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert not out.exists()


def test_foreign_out_dir(phantom_dir, full_run, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    before = sorted(p.name for p in full_run.iterdir())
    for out, n in ((foreign, N), (full_run, N + 1)):
        proc = _run(str(phantom_dir), "--out", str(out), "--n", str(n), "--seed", "5")
        assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in full_run.iterdir()) == before
    assert json.loads((full_run / "run.json").read_text())["n"] == N


def test_real_acdc_sample(acdc_dir, tmp_path):
    src = tmp_path / "acdc"
    src.mkdir()
    for name in ("patient001", "patient050", "patient090"):
        (src / name).symlink_to(acdc_dir / name)
    out = tmp_path / "out"
    proc = _run(str(src), "--out", str(out), "--n", "30", "--seed", "0", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    rows = _manifest(out)
    assert {r["source_subject"] for r in rows} <= {"patient001", "patient050", "patient090"}
    for r in rows[::6]:
        lab, _, zooms = load_nifti(out / r["es_path"], ndim=(3,))
        es = load_label(out / r["es_path"])
        assert abs(lv_volume_ml(es, zooms[:3], method="simpson") - float(r["ESV_ml"])) < 0.1
    assert np.all([10 <= float(r["EF_pct"]) <= 80 for r in rows])


def test_unreachable_ef_is_a_one_line_error(phantom_dir, tmp_path, monkeypatch):
    import cardio_monai.synthesis.cohort as cohort
    from cardio_monai.synthesis.sampler import UnreachableEF

    def never(index, *args, **kwargs):
        raise UnreachableEF(f"synthetic subject {index}: no EF in [10.00, 20.00)")

    monkeypatch.setattr(cohort, "synthesize_subject", never)
    out = tmp_path / "cohort"
    proc = _run(str(phantom_dir), "--out", str(out), "--n", "3", "--seed", "1")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and str(phantom_dir) in proc.stderr and "EF 10-80" in proc.stderr
    assert not (out / "manifest.csv").exists()
