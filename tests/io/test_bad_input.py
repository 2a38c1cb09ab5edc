"""Bad input through the CLI: exit 2, one ``error:`` line naming the file and the problem,
no traceback and nothing left in the output folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest


@pytest.fixture
def out_path(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder / "volumes.csv"


@pytest.fixture
def assert_input_error(run_volumes):
    return lambda *args: _assert_input_error(run_volumes, *args)


def _assert_input_error(run_volumes, inp: Path, out: Path, names: str | tuple[str, ...], *words: str) -> str:
    """Run the CLI on ``inp`` and check the error contract; returns the error line."""
    proc = run_volumes(inp, out)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    assert "Traceback" not in proc.stderr
    names = (names,) if isinstance(names, str) else names
    assert any(n in line for n in names), (names, line)
    for word in words:
        assert word.lower() in line.lower(), (word, line)
    assert not out.exists()
    assert list(out.parent.iterdir()) == [], list(out.parent.iterdir())
    return line


def test_empty_folder(tmp_path, out_path, assert_input_error):
    inp = tmp_path / "empty_input"
    inp.mkdir()
    assert_input_error(inp, out_path, "empty_input", "no study")


def test_truncated_dicom(dicom_copy, out_path, assert_input_error):
    bad = dicom_copy / "59.dcm"
    bad.write_bytes(bad.read_bytes()[:200])
    assert_input_error(dicom_copy, out_path, "59.dcm", "DICOM")


@pytest.mark.parametrize("tag", ["PixelSpacing", "ImagePositionPatient"])
def test_dicom_missing_geometry_tag(dicom_copy, out_path, tag, assert_input_error):
    bad = dicom_copy / "68.dcm"
    ds = pydicom.dcmread(bad)
    delattr(ds, tag)
    ds.save_as(bad)
    assert_input_error(dicom_copy, out_path, "68.dcm", tag)


def test_different_matrix_size(dicom_copy, out_path, assert_input_error):
    bad = dicom_copy / "79.dcm"
    ds = pydicom.dcmread(bad)
    small = np.ascontiguousarray(ds.pixel_array[:128, :100])
    ds.Rows, ds.Columns = small.shape
    ds.PixelData = small.tobytes()
    ds.save_as(bad)
    assert pydicom.dcmread(bad).pixel_array.shape == (128, 100)
    assert_input_error(dicom_copy, out_path, "79.dcm", "matrix size")


def test_non_parallel_slices(dicom_copy, out_path, positions, assert_input_error):
    groups = list(positions(dicom_copy).values())
    first = min((p for g in groups for p in g), key=lambda p: int(p.stem))
    tilted = next(g for g in groups[3:] if first not in g)
    for p in tilted:
        ds = pydicom.dcmread(p)
        ds.ImageOrientationPatient = [1, 0, 0, 0, 0.8, -0.6]
        ds.save_as(p)
    line = assert_input_error(dicom_copy, out_path, tuple(p.name for p in tilted), "parallel")
    assert "ImageOrientationPatient" in line


def test_single_slice(tmp_path, sample_dicoms, out_path, positions, assert_input_error):
    one = next(iter(positions(sample_dicoms).values()))
    inp = tmp_path / "one_slice"
    inp.mkdir()
    for p in one:
        shutil.copy(p, inp / p.name)
    assert_input_error(inp, out_path, "one_slice", "single slice")


@pytest.mark.parametrize("shape", [(16, 16, 4), (16, 16, 4, 3)])
def test_nifti_with_nan(tmp_path, out_path, shape, assert_input_error):
    data = np.ones(shape, dtype=np.float32)
    data[3, 4, 1] = np.nan
    inp = tmp_path / "cine_nan.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 8.0, 1.0])), inp)
    assert_input_error(inp, out_path, "cine_nan.nii.gz", "NaN")


def _acdc_copy(data_dir: Path, tmp_path: Path, with_info: bool) -> Path:
    src = data_dir / "acdc" / "training" / "patient001"
    dst = tmp_path / "patient001"
    dst.mkdir()
    for p in src.glob("patient001_frame*.nii.gz"):
        shutil.copy(p, dst / p.name)
    if with_info:
        shutil.copy(src / "Info.cfg", dst / "Info.cfg")
    return dst


def test_acdc_without_info_cfg(data_dir, tmp_path, out_path, assert_input_error):
    inp = _acdc_copy(data_dir, tmp_path, with_info=False)
    assert_input_error(inp, out_path, "Info.cfg", "missing")


def test_acdc_info_names_missing_frame(data_dir, tmp_path, out_path, assert_input_error):
    inp = _acdc_copy(data_dir, tmp_path, with_info=True)
    info = inp / "Info.cfg"
    text = info.read_text()
    assert "ES: 12" in text
    info.write_text(text.replace("ES: 12", "ES: 7"))
    assert_input_error(inp, out_path, "Info.cfg", "ES frame 7", "not exist")


def test_contour_with_garbage_line(tmp_path, sample_root, out_path, assert_input_error):
    root = tmp_path / "sunnybrook"
    shutil.copytree(sample_root, root)
    contours = sorted((root / "contours" / "SC-HF-I-1" / "i-contours").glob("*.txt"))
    bad = contours[len(contours) // 2]
    with open(bad, "a") as fh:
        fh.write("garbage here x\n")
    assert_input_error(root, out_path, bad.name, "not an 'x y' point")


def test_manifest_missing_file(tmp_path, out_path, assert_input_error):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("subject,image_path,ED,ES\ns1,does_not_exist.nii.gz,1,2\n")
    line = assert_input_error(manifest, out_path, "manifest.csv", "not exist")
    assert "does_not_exist.nii.gz" in line
