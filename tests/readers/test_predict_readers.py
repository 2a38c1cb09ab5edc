"""``predict`` with both readers (the default), either alone, the masks and contour sheets, and bad input.

The shipped sample holds the ED and ES frames of SC-HF-I-1 (reference 191.3 / 141.3 ml, EF 26.2 %,
from its contours; the phases are not named, so predict finds them itself)."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from cardio_monai.cli import main
from cardio_monai.columns import PREDICTION_COLUMNS, READER_COLUMNS
from cardio_monai.constants import LABEL_LV
from cardio_monai.data import SAMPLE_DIR
from cardio_monai.io import find_studies, read_study
from cardio_monai.io.phantom import make_phantom
from cardio_monai.volumes import lv_volume_ml


def _predict(*args: str) -> tuple[int, str, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(["predict", *args])
    return code, out.getvalue(), err.getvalue()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("both")
    code, _, err = _predict("--out", str(tmp / "p.csv"), "--save_masks", str(tmp / "masks"))
    assert code == 0, err
    return tmp / "p.csv", tmp / "masks"


def test_both_readers_on_the_sample(both):
    path, _ = both
    rows = _rows(path)
    assert [r["subject"] for r in rows] == ["SC-HF-I-1"]
    assert tuple(rows[0])[: len(PREDICTION_COLUMNS) + len(READER_COLUMNS)] == PREDICTION_COLUMNS + READER_COLUMNS
    r = {k: v for k, v in rows[0].items() if k not in ("subject", "warning", "readers_agree")}
    r = {k: float(v) for k, v in r.items()}
    # the segmenter (trained on ACDC only) on this unseen Sunnybrook heart, phases found by itself
    assert r["seg_EDV_ml"] == pytest.approx(191.3, rel=0.1)
    assert r["seg_ESV_ml"] == pytest.approx(141.3, rel=0.1)
    assert r["seg_EF_pct"] == pytest.approx(26.2, abs=5)
    lo, hi = sorted((r["sfera_EDV_ml"], r["seg_EDV_ml"]))
    assert lo <= r["EDV_ml"] <= hi  # the combination lies between the readers
    assert r["EF_sd_pct"] > 0 and rows[0]["readers_agree"] in ("True", "False")
    assert "largest and smallest LV volume by the segmenter" in rows[0]["warning"]


def test_masks_are_in_the_input_geometry_and_measure_the_seg_volumes(both):
    path, masks = both
    row = _rows(path)[0]
    record = read_study(SAMPLE_DIR)
    for phase, column in (("ED", "seg_EDV_ml"), ("ES", "seg_ESV_ml")):
        img = nib.load(str(masks / f"SC-HF-I-1_{phase}_seg.nii.gz"))
        np.testing.assert_allclose(img.affine, record.affine, atol=1e-4)
        assert img.shape == (*record.frames.shape[2:], record.frames.shape[1])
        label = np.moveaxis(np.asarray(img.dataobj), -1, 0)  # (Z, H, W)
        assert set(np.unique(label)) <= {0, 1, 2, 3}
        spacing = (*record.pixel_spacing, record.slice_spacing)
        assert lv_volume_ml(label, spacing, label_value=LABEL_LV) == pytest.approx(float(row[column]), abs=0.01)
    png = (masks / "SC-HF-I-1_contours.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_sfera_alone_is_the_sfera_bundle_and_seg_alone_is_the_segmenter(both, tmp_path):
    row = _rows(both[0])[0]
    code, _, err = _predict("--readers", "sfera", "--out", str(tmp_path / "s.csv"))
    assert code == 0, err
    sfera = _rows(tmp_path / "s.csv")[0]
    assert tuple(sfera)[: len(PREDICTION_COLUMNS)] == PREDICTION_COLUMNS and "seg_EDV_ml" not in sfera
    code, _, err = _predict("--readers", "seg", "--out", str(tmp_path / "g.csv"))
    assert code == 0, err
    seg = _rows(tmp_path / "g.csv")[0]
    assert float(seg["EDV_ml"]) == pytest.approx(float(row["seg_EDV_ml"]), abs=0.01)
    # SFERA alone sees the heuristic's phases, not the segmenter's: same frames here, so same numbers
    assert float(sfera["EDV_ml"]) == pytest.approx(float(row["sfera_EDV_ml"]), abs=0.01)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--readers", "foo"], "readers"),
        (["--readers", "sfera", "--save_masks", "MASKS"], "needs the segmentation reader"),
        (["--save_masks", "FILE"], "not a folder"),
    ],
)
def test_bad_reader_flags_stop_before_any_work(tmp_path, args, words):
    (tmp_path / "FILE").write_text("x")
    args = [a.replace("MASKS", str(tmp_path / "m")).replace("FILE", str(tmp_path / "FILE")) for a in args]
    code, _, err = _predict("--out", str(tmp_path / "p.csv"), *args)
    assert code == 2 and err.count("\n") == 1 and err.startswith("error:") and words in err
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "m").exists()


def test_save_masks_inside_the_input_is_refused(tmp_path):
    code, _, err = _predict(str(SAMPLE_DIR), "--out", str(tmp_path / "p.csv"), "--save_masks", str(SAMPLE_DIR / "m"))
    assert code == 2 and "inside the input" in err and not (SAMPLE_DIR / "m").exists()


def test_no_heart_gives_a_warning_row_not_a_silent_number(tmp_path):
    rec, _ = make_phantom(n_phases=2, n_slices=8, shape=(96, 96), pixel_mm=1.5, slice_mm=10.0, seed=0)
    g = np.random.default_rng(0)
    frames = np.stack([g.normal(100, 1, (8, 96, 96)), g.normal(100, 1, (8, 96, 96))]).astype(np.float32)
    path = tmp_path / "noheart.nii.gz"
    nib.save(nib.Nifti1Image(np.moveaxis(frames, (0, 1), (3, 2)), rec.affine), str(path))
    assert find_studies(path)[0].read().frames.shape == (2, 8, 96, 96)
    code, _, err = _predict(str(path), "--out", str(tmp_path / "p.csv"))
    assert code == 0, err
    row = _rows(tmp_path / "p.csv")[0]
    assert "segmenter" in row["warning"]
    assert row["readers_agree"] == ""  # no agreement claimed when one reader could not measure
