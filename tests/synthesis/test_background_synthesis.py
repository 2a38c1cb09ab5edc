"""Background-preserving ``synthesize-images``: outside the painted region a synthetic subject is its real
source subject's frames (real ACDC subjects), and its bad inputs."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from gaugan_tiny import write_tiny_gaugan
from scipy import ndimage
from synthesis_cli import link_subjects, run_cli

from cardio_monai.io import find_studies
from cardio_monai.io.nifti import load_label, load_nifti
from cardio_monai.synthesis.backgrounds import SourceFrames
from cardio_monai.synthesis.cohort import synthesize_cohort

SOURCES = ("patient001", "patient042")


def _run(*args: str) -> tuple[int, str]:
    proc = run_cli("synthesize-images", *args)
    return proc.returncode, proc.stderr


@pytest.fixture(scope="module")
def real_sources(acdc_dir, tmp_path_factory) -> Path:
    return link_subjects(acdc_dir, tmp_path_factory.mktemp("sources"), SOURCES)


@pytest.fixture(scope="module")
def cohort(real_sources, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bgmasks") / "cohort"
    synthesize_cohort(real_sources, out, 4, seed=1)
    return out


@pytest.fixture(scope="module")
def bg_bundle(tmp_path_factory) -> Path:
    return write_tiny_gaugan(tmp_path_factory.mktemp("bggan"), background=True)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_outside_the_painted_region_the_frames_are_the_sources(bg_bundle, cohort, real_sources, tmp_path):
    out = tmp_path / "images"
    code, err = _run(str(cohort), "--out", str(out), "--bundle", str(bg_bundle))
    assert code == 0, err
    rows = _rows(cohort / "manifest.csv")
    sources = SourceFrames(real_sources, [r["source_subject"] for r in rows])
    assert len(find_studies(out / "manifest.csv")) == len(rows)
    for row in rows:
        _, affine, zooms = load_nifti(cohort / row["ed_path"], ndim=(3,))
        labels = np.stack([load_label(cohort / row[k]) for k in ("ed_path", "es_path")])
        real, real_labels = sources.frames(row["source_subject"], affine, labels.shape[1:], row["ed_path"])
        synthetic = np.stack([load_nifti(out / f"{row['subject']}_{p}.nii.gz")[0] for p in ("ED", "ES")])
        synthetic = synthetic.transpose(0, 3, 1, 2)  # NIfTI (H, W, Z) -> (Z, H, W)
        # The tiny generator's region: the hearts dilated by 6 px of 3 mm = 18 mm; keep 2 native pixels more.
        heart = ((labels > 0) | (real_labels > 0)).any(axis=0)
        far = ~ndimage.binary_dilation(heart, np.ones((1, 3, 3), bool), iterations=int(np.ceil(18 / zooms[0])) + 2)
        far = np.broadcast_to(far, synthetic.shape)
        x, y = real[far], synthetic[far]
        inside = (y > 1e-3) & (y < 1 - 1e-3)  # not clipped by the [3, 97] % mapping
        slope, intercept = np.polyfit(x[inside], y[inside], 1)
        assert slope > 0
        assert np.abs(slope * x[inside] + intercept - y[inside]).max() < 1e-4  # the real frame, rescaled
        near = np.broadcast_to(heart, synthetic.shape)
        assert np.abs(slope * real[near] + intercept - synthetic[near]).mean() > 0.02  # the heart is painted


def test_rerun_with_the_plain_generator_needs_no_sources(tiny_bundle, cohort, tmp_path):
    moved = tmp_path / "masks"
    shutil.copytree(cohort, moved)
    (moved / "run.json").write_text(json.dumps({"input": str(tmp_path / "gone")}))
    code, err = _run(str(moved), "--out", str(tmp_path / "images"), "--bundle", str(tiny_bundle))
    assert code == 0, err


def test_sources_that_are_gone_are_one_line_and_nothing_is_written(bg_bundle, cohort, tmp_path):
    moved = tmp_path / "masks"
    shutil.copytree(cohort, moved)
    gone = tmp_path / "gone"
    (moved / "run.json").write_text(json.dumps({"input": str(gone)}))
    out = tmp_path / "images"
    code, err = _run(str(moved), "--out", str(out), "--bundle", str(bg_bundle))
    assert code == 2 and err.count("\n") == 1 and str(gone) in err and "--sources" in err
    assert not out.exists()


def test_a_missing_source_subject_names_the_folder(bg_bundle, cohort, real_sources, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / SOURCES[0]).symlink_to((real_sources / SOURCES[0]).resolve())
    needed = {r["source_subject"] for r in _rows(cohort / "manifest.csv")}
    out = tmp_path / "images"
    code, err = _run(str(cohort), "--out", str(out), "--bundle", str(bg_bundle), "--sources", str(partial))
    if needed <= {SOURCES[0]}:
        pytest.skip("the cohort drew from one source only")
    assert code == 2 and err.count("\n") == 1 and str(partial) in err and SOURCES[1] in err
    assert not out.exists()


def test_a_mask_off_the_source_grid_is_refused_before_writing(bg_bundle, cohort, tmp_path):
    import nibabel as nib

    moved = tmp_path / "masks"
    shutil.copytree(cohort, moved)
    row = _rows(moved / "manifest.csv")[0]
    path = moved / row["ed_path"]
    img = nib.load(path)
    affine = img.affine.copy()
    affine[:3, 3] += affine[:3, 0] * 0.5  # half a pixel off the source's grid
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj), affine, img.header), path)
    out = tmp_path / "images"
    code, err = _run(str(moved), "--out", str(out), "--bundle", str(bg_bundle))
    assert code == 2 and err.count("\n") == 1 and row["ed_path"] in err and "geometry" in err
    assert not out.exists()
