"""``predict`` at archive scale: ``--shard I/K`` splits a run into disjoint parts whose merged CSV is the
unsharded run's, ``--workers`` reads studies ahead in other processes without changing a number, and a
bad study read by a worker is still one warning row (``--skip_bad``) or one error line."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import numpy as np
import pytest

from cardio_monai.cli import main
from cardio_monai.io.phantom import make_phantom
from cardio_monai.io.writers import write_acdc_patient


def _run(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(args))
    return code, err.getvalue()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    for k in range(7):
        rec, _ = make_phantom(
            n_phases=2, n_slices=6, shape=(80, 80), pixel_mm=1.5, slice_mm=10.0, edv_ml=110.0 + 12 * k,
            ef_pct=30.0 + 5 * k, es_phase=1, noise=0.02, seed=k, subject=f"patient{k + 1:03d}",
        )  # fmt: skip
        rec.frames = rec.frames.astype(np.float32)
        write_acdc_patient(rec, root / f"patient{k + 1:03d}")
    return root


@pytest.fixture(scope="module")
def whole(archive, tmp_path_factory) -> list[dict[str, str]]:
    out = tmp_path_factory.mktemp("whole") / "p.csv"
    code, err = _run("predict", str(archive), "--readers", "sfera", "--out", str(out))
    assert code == 0, err
    return _rows(out)


def test_shards_are_disjoint_and_merge_to_the_whole_run(archive, whole, tmp_path):
    parts = []
    for i in range(3):
        parts.append(tmp_path / f"p{i}.csv")
        code, err = _run("predict", str(archive), "--readers", "sfera", "--shard", f"{i}/3", "--out", str(parts[i]))
        assert code == 0, err
    shards = [[r["subject"] for r in _rows(p)] for p in parts]
    assert shards == [[w["subject"] for w in whole[i::3]] for i in range(3)]
    code, err = _run("merge", *map(str, parts), "--out", str(tmp_path / "all.csv"))
    assert code == 0, err
    merged = _rows(tmp_path / "all.csv")
    by_subject = {r["subject"]: r for r in merged}
    assert len(merged) == len(whole) and all(by_subject[w["subject"]] == w for w in whole)


def test_workers_read_ahead_without_changing_a_number(archive, whole, tmp_path):
    code, err = _run("predict", str(archive), "--readers", "sfera", "--workers", "2", "--out", str(tmp_path / "w.csv"))
    assert code == 0, err
    assert _rows(tmp_path / "w.csv") == whole


def test_a_bad_study_read_by_a_worker(archive, tmp_path):
    bad = tmp_path / "bad"
    for name in ("patient001", "patient002"):
        (bad / name).mkdir(parents=True)
        for f in (archive / name).iterdir():
            (bad / name / f.name).write_bytes(f.read_bytes())
    broken = next((bad / "patient002").glob("*frame01.nii.gz"))
    broken.write_bytes(broken.read_bytes()[:400])  # a truncated NIfTI
    out = tmp_path / "p.csv"
    code, err = _run("predict", str(bad), "--readers", "sfera", "--workers", "1", "--out", str(out))
    assert code == 2 and err.startswith("error:") and err.count("\n") == 1 and "patient002" in err
    assert not out.exists()
    code, err = _run("predict", str(bad), "--readers", "sfera", "--workers", "1", "--skip_bad", "--out", str(out))
    assert code == 0, err
    rows = _rows(out)
    assert [r["subject"] for r in rows] == ["patient001", "patient002"]
    assert rows[0]["EF_pct"] and not rows[1]["EF_pct"] and "patient002" in rows[1]["warning"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--shard", "3/3"], "is not I/K"),
        (["--shard", "a/b"], "is not I/K"),
        (["--workers", "-1"], "not a whole number"),
        (["--workers", "1000"], "more than"),
        (["--workers", "1.5"], "not a whole number"),
    ],
)
def test_bad_shard_and_worker_flags_stop_before_any_work(archive, tmp_path, args, words):
    code, err = _run("predict", str(archive), "--readers", "sfera", "--out", str(tmp_path / "p.csv"), *args)
    assert code == 2 and err.count("\n") == 1 and words in err and not (tmp_path / "p.csv").exists()


def test_merge_refuses_what_is_not_a_set_of_shards(archive, whole, tmp_path):
    one = tmp_path / "one.csv"
    code, _ = _run("predict", str(archive), "--readers", "sfera", "--shard", "0/2", "--out", str(one))
    assert code == 0
    (tmp_path / "other.csv").write_text("subject,EDV_ml\nx,1\n")
    (tmp_path / "latin1.csv").write_bytes("subject\n\xe9\n".encode("latin-1"))
    cases = [
        ([one, one], "also in"),  # the same shard twice
        ([one, tmp_path / "other.csv"], "not a predictions CSV"),
        ([one, tmp_path / "latin1.csv"], "UTF-8"),
        ([one, tmp_path / "missing.csv"], "no such file"),
    ]
    for files, words in cases:
        code, err = _run("merge", *map(str, files), "--out", str(tmp_path / "all.csv"))
        assert code == 2 and err.count("\n") == 1 and words in err, err
        assert not (tmp_path / "all.csv").exists()
    code, err = _run("merge", str(one), "--out", str(one))
    assert code == 2 and "input" in err and len(_rows(one)) == 4
