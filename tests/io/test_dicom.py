"""DICOM cine folders: one series, ``sax_N/`` subfolders, re-acquired frames."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom

from cardio_monai.io import read_dicom_cine


def test_sax_layout_equals_single_folder(tmp_path, sample_dicoms, positions):
    single, _ = read_dicom_cine(sample_dicoms, subject="s")
    study = tmp_path / "study"
    for n, files in enumerate(positions(sample_dicoms).values(), 1):
        sax = study / f"sax_{n}"
        sax.mkdir(parents=True)
        for p in files:
            shutil.copy(p, sax / p.name)
    assert n == 12
    split, _ = read_dicom_cine(study, subject="s")
    assert split.frames.shape == single.frames.shape == (2, 12, 256, 256)
    np.testing.assert_array_equal(split.frames, single.frames)
    np.testing.assert_allclose(split.affine, single.affine)
    assert split.pixel_spacing == single.pixel_spacing
    assert split.slice_spacing == single.slice_spacing


def test_reacquired_frames_use_latest_series(dicom_copy, positions):
    before, _ = read_dicom_cine(dicom_copy)
    groups = list(positions(dicom_copy).values())
    z = 5
    for k, p in enumerate(groups[z]):
        ds = pydicom.dcmread(p)
        ds.SeriesNumber = int(ds.SeriesNumber) + 1
        ds.PixelData = (ds.pixel_array.astype(np.uint16) // 2).tobytes()
        ds.save_as(dicom_copy / f"{1000 + k}.dcm")
    after, _ = read_dicom_cine(dicom_copy)
    assert after.frames.shape == before.frames.shape
    np.testing.assert_array_equal(after.frames[:, z], np.floor(before.frames[:, z] / 2))
    others = [i for i in range(before.n_slices) if i != z]
    np.testing.assert_array_equal(after.frames[:, others], before.frames[:, others])


def test_exact_duplicate_file_ignored(dicom_copy):
    before, _ = read_dicom_cine(dicom_copy)
    shutil.copy(dicom_copy / "99.dcm", dicom_copy / "99_copy.dcm")
    after, _ = read_dicom_cine(dicom_copy)
    assert after.frames.shape == before.frames.shape
    np.testing.assert_array_equal(after.frames, before.frames)
